package org.streamlearn.stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.streamlearn.codec.SafeTensors;
import org.streamlearn.codec.TensorRef;
import org.streamlearn.learn.Scaling;
import org.streamlearn.learn.Snapshot;

/**
 * A snapshot as a weights file: the model's tensors, then, when the model standardizes, the
 * statistics it applies ({@code input.mean}, {@code input.std} of shape [features]; {@code
 * label.mean}, {@code label.std} of shape [targets]) and the metadata entry {@value
 * SafeTensors#META_NORMALIZATION} saying how to apply them, e.g.
 * <pre>{"input":{"apply":"(x - input.mean) / input.std","count":5000}}</pre>
 * The consumer computes in float32: {@code out = model((x - input.mean) / input.std)}, then {@code
 * out * label.std + label.mean} when a label entry is there.
 */
final class WeightsFiles {
  static final String INPUT_MEAN = "input.mean", INPUT_STD = "input.std";
  static final String LABEL_MEAN = "label.mean", LABEL_STD = "label.std";
  private static final ObjectMapper JSON = new ObjectMapper();

  private WeightsFiles() {}

  /** The safetensors bytes of snapshot s whose model tensors are refs (into s.params()). */
  static byte[] encode(Snapshot s, List<TensorRef> refs, Map<String, String> meta) {
    Scaling sc = s.scaling();
    if (!sc.input() && !sc.label()) return SafeTensors.write(s.params(), refs, meta);
    int n = s.params().length, in = sc.input() ? sc.inputMean().length : 0, out = sc.label() ? sc.labelMean().length : 0;
    float[] all = new float[n + 2 * in + 2 * out];
    System.arraycopy(s.params(), 0, all, 0, n);
    List<TensorRef> r = new ArrayList<>(refs);
    Map<String, Object> how = new LinkedHashMap<>();
    int at = n;
    if (sc.input()) {
      at = put(all, at, sc.inputMean(), INPUT_MEAN, r);
      at = put(all, at, sc.inputStd(), INPUT_STD, r);
      how.put("input", Map.of("apply", "(x - input.mean) / input.std", "count", sc.inputCount()));
    }
    if (sc.label()) {
      at = put(all, at, sc.labelMean(), LABEL_MEAN, r);
      put(all, at, sc.labelStd(), LABEL_STD, r);
      how.put("label", Map.of("apply", "out * label.std + label.mean", "count", sc.labelCount()));
    }
    Map<String, String> m = new LinkedHashMap<>(meta);
    try {
      m.put(SafeTensors.META_NORMALIZATION, JSON.writeValueAsString(how));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e); // a map of strings and numbers always serializes
    }
    return SafeTensors.write(all, r, m);
  }

  private static int put(float[] all, int at, float[] v, String name, List<TensorRef> refs) {
    System.arraycopy(v, 0, all, at, v.length);
    refs.add(new TensorRef(name, at, new int[] {v.length}));
    return at + v.length;
  }

  /** The scaling a weights file states, {@link Scaling#NONE} when it has none. */
  static Scaling scaling(SafeTensors.Contents c) throws java.io.IOException {
    String how = c.metadata().get(SafeTensors.META_NORMALIZATION);
    if (how == null) return Scaling.NONE;
    var h = JSON.readTree(how);
    boolean in = h.has("input"), lab = h.has("label");
    return new Scaling(in ? c.tensor(INPUT_MEAN).data() : null, in ? c.tensor(INPUT_STD).data() : null,
        in ? h.get("input").path("count").asLong() : 0, lab ? c.tensor(LABEL_MEAN).data() : null,
        lab ? c.tensor(LABEL_STD).data() : null, lab ? h.get("label").path("count").asLong() : 0);
  }
}
