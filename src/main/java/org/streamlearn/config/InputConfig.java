package org.streamlearn.config;

/**
 * How records of a model's topics are decoded.
 *
 * @param features values per example (window × channels for sequences)
 * @param window time steps for sequence inputs, 0 otherwise
 * @param channels values per time step (1 unless a sequence says otherwise)
 * @param csvLabelColumn 0-based column of the first label, -1 for the last column(s)
 */
public record InputConfig(Format format, int features, int window, int channels, String jsonX, String jsonY,
    int csvLabelColumn) {
  public enum Format { JSON, CSV, F32 }

  public boolean sequence() {
    return window > 0;
  }
}
