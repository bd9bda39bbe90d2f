package org.streamlearn.config;

/** @param rate records per second of each demo stream */
public record DemoConfig(boolean enabled, double rate) {}
