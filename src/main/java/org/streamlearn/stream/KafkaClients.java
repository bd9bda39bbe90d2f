package org.streamlearn.stream;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * Where and how to reach Kafka: the bootstrap servers, the pass-through client properties
 * ({@code kafka.properties.*}) and how the service creates its own topics.
 */
public record KafkaClients(String bootstrapServers, Map<String, String> properties, int topicPartitions,
    short topicReplication) {
  public KafkaClients {
    properties = Map.copyOf(properties);
  }

  public static KafkaClients of(String bootstrapServers) {
    return new KafkaClients(bootstrapServers, Map.of(), 1, (short) 1);
  }

  /** The common client properties plus {@code extra} (which wins), as a fresh mutable map. */
  public Map<String, Object> config(Map<String, Object> extra) {
    return config(Map.of(), extra);
  }

  /**
   * {@code defaults} (Streamlearn's choices where Kafka's own do not suit it, which the configured
   * {@code kafka.properties.*} override), then the configured properties, then {@code extra} (what
   * the service relies on, which wins), as a fresh mutable map.
   */
  public Map<String, Object> config(Map<String, Object> defaults, Map<String, Object> extra) {
    Map<String, Object> m = new HashMap<>(defaults);
    m.putAll(properties);
    m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    m.putAll(extra);
    return m;
  }
}
