package org.streamlearn.config;

import java.util.Map;

/**
 * The whole validated configuration.
 *
 * @param models by name, in the order of the configuration file
 * @param effective every key with its effective value and source, secrets masked, for the start-up log
 */
public record AppConfig(KafkaConfig kafka, HttpConfig http, DemoConfig demo, long progressIntervalMs,
    long shutdownTimeoutMs, Map<String, ModelConfig> models, Map<String, String> effective) {
  public AppConfig {
    models = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(models));
    effective = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(effective));
  }
}
