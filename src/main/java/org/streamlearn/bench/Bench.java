package org.streamlearn.bench;

/** Placeholder of the {@code bench} command; the integrator replaces it with the real benchmark run. */
public final class Bench {
  private Bench() {}

  public static void main(String[] args) {
    System.out.println("bench: see README");
  }
}
