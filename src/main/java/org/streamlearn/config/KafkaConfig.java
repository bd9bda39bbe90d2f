package org.streamlearn.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * @param bootstrapServers empty: run the embedded broker
 * @param properties client properties passed through verbatim ({@code kafka.properties.*})
 */
public record KafkaConfig(String bootstrapServers, Path embeddedDir, Map<String, String> properties,
    int topicPartitions, short topicReplication) {
  public KafkaConfig {
    properties = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(properties));
  }

  public boolean embedded() {
    return bootstrapServers.isEmpty();
  }
}
