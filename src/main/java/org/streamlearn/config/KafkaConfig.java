package org.streamlearn.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * @param bootstrapServers empty: run the embedded broker
 * @param properties client properties passed through verbatim ({@code kafka.properties.*})
 * @param startupTimeoutMs how long start-up waits for an unreachable broker, 0 for ever
 * @param embeddedPort port of the embedded broker (a free one when taken), 0 for any free port
 */
public record KafkaConfig(String bootstrapServers, Path embeddedDir, Map<String, String> properties,
    int topicPartitions, short topicReplication, long startupTimeoutMs, int embeddedPort) {
  public KafkaConfig {
    properties = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(properties));
  }

  public boolean embedded() {
    return bootstrapServers.isEmpty();
  }
}
