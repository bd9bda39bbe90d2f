package org.streamlearn.stream;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the topics the service needs at start-up, when absent; existing topics are left as they are. */
public final class Topics {
  private static final Logger log = LoggerFactory.getLogger(Topics.class);

  private Topics() {}

  public static String weights(String model) {
    return model + ".weights";
  }

  /** Scale-out: each replica's newest parameters, keyed by replica id (compacted). */
  public static String sync(String model) {
    return model + ".sync";
  }

  public static String deadLetters(String model) {
    return model + ".dlq";
  }

  /**
   * The model's training topics and dead-letter topic (kafka.topics.partitions partitions) and its
   * weights topic: one partition (one key, the model name), compacted so the newest version stays,
   * with room for a whole weights file per record.
   */
  public static void ensure(KafkaClients kafka, String model, Collection<String> trainTopics, int weightsBytes) {
    ensure(kafka, model, trainTopics, weightsBytes, false);
  }

  /** As above, and with {@code sync} the compacted one-partition {@code <model>.sync} topic of the replicas. */
  public static void ensure(KafkaClients kafka, String model, Collection<String> trainTopics, int weightsBytes,
      boolean sync) {
    List<NewTopic> wanted = new ArrayList<>();
    for (String t : trainTopics) wanted.add(new NewTopic(t, kafka.topicPartitions(), kafka.topicReplication()));
    wanted.add(new NewTopic(deadLetters(model), kafka.topicPartitions(), kafka.topicReplication()));
    wanted.add(new NewTopic(weights(model), 1, kafka.topicReplication()).configs(Map.of(
        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
        TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(maxMessageBytes(weightsBytes)))));
    if (sync) wanted.add(new NewTopic(sync(model), 1, kafka.topicReplication()).configs(Map.of(
        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
        TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(maxMessageBytes(weightsBytes)),
        // Keep the dirty head short: a replica reading from the beginning reads little more than one record per replica.
        TopicConfig.SEGMENT_MS_CONFIG, "60000", TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.1")));
    // 10 s unless timeouts are configured (a shorter default.api.timeout.ms than request.timeout.ms is refused).
    boolean configured = kafka.properties().containsKey(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG)
        || kafka.properties().containsKey(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG);
    try (Admin admin = Admin.create(kafka.config(
        configured ? Map.of() : Map.of(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000), Map.of()))) {
      Set<String> existing = admin.listTopics().names().get(15, TimeUnit.SECONDS);
      List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
      if (missing.isEmpty()) return;
      var result = admin.createTopics(missing);
      for (var e : result.values().entrySet()) {
        try {
          e.getValue().get(15, TimeUnit.SECONDS);
          log.info("created topic {}", e.getKey());
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) throw ex; // another instance was quicker
        }
      }
    } catch (ExecutionException | TimeoutException e) {
      String msg = "cannot create the topics of model " + model + " on " + kafka.bootstrapServers() + ": "
          + (e.getCause() != null ? e.getCause() : e) + "; check kafka.bootstrap.servers and that the broker is up";
      // No answer in time is worth waiting out; a refusal (authorization, a bad topic config) is not.
      if (e instanceof TimeoutException || e.getCause() instanceof org.apache.kafka.common.errors.RetriableException)
        throw new BrokerUnavailableException(msg, e);
      throw new IllegalStateException(msg, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics of model " + model, e);
    }
  }

  /** A weights record plus headroom for the header and metadata, at least Kafka's default 1 MiB. */
  static int maxMessageBytes(int weightsBytes) {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(1 << 20, weightsBytes + (256L << 10)));
  }
}
