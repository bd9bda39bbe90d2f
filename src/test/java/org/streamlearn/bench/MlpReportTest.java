package org.streamlearn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The PyTorch peer's header lines (as the bundled mlp_bench.py prints them) decide the fairness warning. */
class MlpReportTest {
  @Test
  void warnsWhenTorchRunsOnTheReferenceBlas() {
    List<String> reference = List.of(
        "# torch 1.13.0a0 python 3.11.2 (/usr/bin/python3) torch threads=1 interop=1 BLAS_INFO=generic mkldnn=True",
        "# OpenBLAS not found in process");
    assertThat(MlpReport.peerWarning(reference)).contains("not running on OpenBLAS").contains("libopenblas0-pthread");
  }

  @Test
  void silentWithOpenBlas() {
    List<String> openblas = List.of(
        "# torch 1.13.0a0 python 3.11.2 (/usr/bin/python3) torch threads=1 interop=1 BLAS_INFO=generic mkldnn=True",
        "# OpenBLAS: OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64 | core=Cooperlake threads=1");
    assertThat(MlpReport.peerWarning(openblas)).isNull();
  }
}
