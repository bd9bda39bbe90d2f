package org.streamlearn.config;

import java.util.Map;

/** A learning-rate schedule as written, e.g. {@code cosine(warmup=100,total=10000)}; optim checks the name. */
public record ScheduleConfig(String name, Map<String, Double> args) {
  public ScheduleConfig {
    args = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(args));
  }

  @Override public String toString() {
    if (args.isEmpty()) return name;
    StringBuilder sb = new StringBuilder(name).append('(');
    args.forEach((k, v) -> sb.append(sb.charAt(sb.length() - 1) == '(' ? "" : ",").append(k).append('=')
        .append(ConfigDef.fmt(v)));
    return sb.append(')').toString();
  }
}
