package org.streamlearn.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The real data sets Streamlearn ships (src/main/resources/datasets, copied unchanged from
 * Debian's python3-sklearn and python3-statsmodels, see the README there) for demos, tests and
 * benchmarks.
 */
public final class Datasets {
  private Datasets() {}

  /** 8×8 digits: 64 pixels in 0..16 per row and the label 0..9. */
  public record Digits(float[][] pixels, int[] labels) {
    public int size() { return labels.length; }
  }

  /** A weekly series; missing weeks are NaN in {@code raw} and linearly interpolated in {@code filled}. */
  public record Series(int[] dates, double[] raw, double[] filled, int missing) {
    public int size() { return raw.length; }
  }

  public static Digits digits() {
    List<String> lines = lines("digits.csv.gz");
    float[][] x = new float[lines.size()][];
    int[] y = new int[lines.size()];
    for (int i = 0; i < lines.size(); i++) {
      String[] f = lines.get(i).split(",");
      if (f.length != 65) throw new IllegalStateException("digits.csv.gz line " + (i + 1) + ": " + f.length + " fields, expected 65");
      x[i] = new float[64];
      for (int j = 0; j < 64; j++) x[i][j] = Float.parseFloat(f[j]);
      y[i] = Integer.parseInt(f[64].strip());
    }
    return new Digits(x, y);
  }

  /**
   * Weekly Mauna Loa CO2 (ppm), 1958–2001. Missing weeks (empty fields) are filled by linear
   * interpolation between the nearest known weeks on either side (a leading or trailing gap takes
   * the nearest known value): CO2 moves smoothly week to week, so a straight line between
   * neighbours is a good estimate and adds no information from the future beyond the gap's end.
   */
  public static Series co2() {
    List<String> lines = lines("co2.csv");
    int n = lines.size() - 1; // header
    int[] dates = new int[n];
    double[] raw = new double[n];
    int missing = 0;
    for (int i = 0; i < n; i++) {
      String[] f = lines.get(i + 1).split(",", -1);
      dates[i] = Integer.parseInt(f[0].strip());
      String v = f.length > 1 ? f[1].strip() : "";
      if (v.isEmpty()) { raw[i] = Double.NaN; missing++; }
      else raw[i] = Double.parseDouble(v);
    }
    return new Series(dates, raw, interpolate(raw), missing);
  }

  /** Linear interpolation of NaN runs; edges take the nearest known value. */
  public static double[] interpolate(double[] raw) {
    double[] out = raw.clone();
    int n = out.length, prev = -1;
    for (int i = 0; i < n; i++) {
      if (Double.isNaN(raw[i])) continue;
      if (prev + 1 < i) {
        for (int j = prev + 1; j < i; j++)
          out[j] = prev < 0 ? raw[i] : raw[prev] + (raw[i] - raw[prev]) * (j - prev) / (double) (i - prev);
      }
      prev = i;
    }
    if (prev < 0) throw new IllegalArgumentException("series has no known value");
    for (int j = prev + 1; j < n; j++) out[j] = raw[prev];
    return out;
  }

  static List<String> lines(String name) {
    String path = "/datasets/" + name;
    try (InputStream in0 = Datasets.class.getResourceAsStream(path)) {
      if (in0 == null) throw new IllegalStateException("resource " + path + " not on the class path");
      InputStream in = name.endsWith(".gz") ? new GZIPInputStream(in0) : in0;
      List<String> out = new ArrayList<>();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) if (!l.isBlank()) out.add(l);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + path, e);
    }
  }
}
