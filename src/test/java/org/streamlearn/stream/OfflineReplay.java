package org.streamlearn.stream;

import static org.assertj.core.api.Assertions.assertThat;

import org.streamlearn.config.ModelConfig;
import org.streamlearn.learn.OnlineLearner;

/**
 * The uninterrupted run that end-to-end tests hold the service against: a learner of the model's
 * configuration trained offline on the same record values, decoded by the model's own decoder, in
 * order. Not flushed: a partial batch stays pending, as in the trainer (callers flush if they compare
 * with a service that did).
 */
public final class OfflineReplay {
  private OfflineReplay() {}

  public static OnlineLearner replay(ModelConfig mc, Iterable<byte[]> values) {
    OnlineLearner l = new OnlineLearner(mc.learnerConfig());
    var decoder = mc.decoder();
    float[] x = new float[l.model().inputSize()], y = new float[Math.max(1, l.model().outputSize())];
    int i = 0;
    for (byte[] v : values) {
      assertThat(decoder.decode(v, x, 0, y, 0).ok()).as("record %d decodes", i++).isTrue();
      l.add(x, 0, y, 0);
    }
    return l;
  }
}
