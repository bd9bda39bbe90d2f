package org.streamlearn.config;

public record HttpConfig(String host, int port, long bodyLimitBytes) {}
