package org.streamlearn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class SafeTensorsPropertiesTest {

  @Property(tries = 300)
  void roundTripsAnyLayout(@ForAll @Size(min = 1, max = 6) List<@IntRange(min = 0, max = 5) Integer> dims,
      @ForAll @Size(max = 3) Map<String, String> meta, @ForAll long seed) throws Exception {
    var rnd = new java.util.Random(seed);
    List<TensorRef> refs = new ArrayList<>();
    int offset = rnd.nextInt(3);
    for (int i = 0; i < dims.size(); i++) {
      int[] shape = i % 2 == 0 ? new int[] {dims.get(i)} : new int[] {dims.get(i), 2};
      refs.add(new TensorRef("t" + i, offset, shape));
      offset += (int) refs.getLast().size();
    }
    float[] params = new float[offset + 1];
    for (int i = 0; i < params.length; i++) params[i] = (float) rnd.nextGaussian();
    SafeTensors.Contents c = SafeTensors.read(SafeTensors.write(params, refs, meta));
    assertThat(c.metadata()).isEqualTo(meta);
    for (TensorRef r : refs) {
      float[] want = java.util.Arrays.copyOfRange(params, r.offset(), r.offset() + (int) r.size());
      assertThat(c.tensor(r.name()).data()).containsExactly(want);
      assertThat(c.tensor(r.name()).shape()).containsExactly(r.shape());
    }
  }

  /** Corrupted files are rejected with WeightsFormatException, never another exception. */
  @Property(tries = 2000)
  void corruptedFilesAreRejectedCleanly(@ForAll @IntRange(min = 0, max = 200) int at, @ForAll byte value,
      @ForAll @IntRange(min = 0, max = 3) int cut) {
    byte[] good = SafeTensors.write(SafeTensorsTest.PARAMS, SafeTensorsTest.REFS, Map.of("model", "m"));
    byte[] bad = java.util.Arrays.copyOf(good, good.length - cut);
    if (at < bad.length) bad[at] = value;
    try {
      SafeTensors.read(bad);
    } catch (WeightsFormatException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @Property(tries = 1000)
  void randomBytesAreRejectedCleanly(@ForAll @Size(max = 64) byte[] bytes) {
    try {
      SafeTensors.read(bytes);
    } catch (WeightsFormatException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }
}
