package org.streamlearn.config;

/** @param threshold max global L2 norm ({@link Kind#NORM}) or max |g| ({@link Kind#VALUE}); 0 for none */
public record ClipConfig(Kind kind, double threshold) {
  public enum Kind { NONE, NORM, VALUE }
}
