package org.streamlearn.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.streamlearn.learn.Predictor;
import org.streamlearn.nn.Model;
import org.streamlearn.nn.ModelSpec;

/** A seeded 80/20 split of the digits and the held-out accuracy of a model's parameters on it (tests). */
public final class HeldOut {
  private HeldOut() {}

  /** Indices of the digits, shuffled with the seed: the first 80% train, the rest test. */
  public record Split(List<Integer> train, List<Integer> test) {}

  public static Split digits(Datasets.Digits d, long seed) {
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < d.size(); i++) idx.add(i);
    Collections.shuffle(idx, new Random(seed));
    int nTrain = (int) Math.round(d.size() * 0.8);
    return new Split(new ArrayList<>(idx.subList(0, nTrain)), List.copyOf(idx.subList(nTrain, d.size())));
  }

  /** Share of the test digits (pixels / 16, as the demo stream sends them) classified right by params. */
  public static double accuracy(String layers, float[] params, Datasets.Digits d, List<Integer> test) {
    return accuracy(layers, params, org.streamlearn.learn.Scaling.NONE, d, test);
  }

  /** The same for weights that expect standardized inputs (scaling: what the snapshot or file states). */
  public static double accuracy(String layers, float[] params, org.streamlearn.learn.Scaling scaling,
      Datasets.Digits d, List<Integer> test) {
    Model m = Model.of(ModelSpec.parse(layers));
    float[] xs = new float[test.size() * 64], out = new float[test.size() * 10];
    for (int k = 0; k < test.size(); k++)
      for (int j = 0; j < 64; j++) xs[k * 64 + j] = d.pixels()[test.get(k)][j] / 16f;
    scaling.applyInput(test.size(), xs, 0);
    new Predictor(m, 64).predict(params, test.size(), xs, 0, out, 0);
    int hits = 0;
    for (int k = 0; k < test.size(); k++) if (Predictor.argmax(out, k * 10, 10) == d.labels()[test.get(k)]) hits++;
    return hits / (double) test.size();
  }
}
