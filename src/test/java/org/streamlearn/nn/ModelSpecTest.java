package org.streamlearn.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ModelSpecTest {

  /** Canonical specs print back exactly as written and re-parse to an equal record. */
  @ParameterizedTest
  @ValueSource(strings = {
      "input(784) dense(256) relu dense(256) relu dense(10)",
      "input(52x1) lstm(32) dense(1)",
      "input(52x1) lstm(32, seq) lstm(16) dense(1)",
      "input(4) dense(8, init=glorot) leakyrelu(0.01) dense(3, init=he) softmax",
      "input(5) layernorm sigmoid tanh",
      "input(5) layernorm(1.0E-6) dense(2)",
  })
  void canonicalRoundTrip(String text) {
    ModelSpec s = ModelSpec.parse(text);
    assertThat(s.toString()).isEqualTo(text);
    assertThat(ModelSpec.parse(s.toString())).isEqualTo(s);
  }

  /** Sloppy but valid spellings parse to the canonical form. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "  input(4)   DENSE( 3 ,init = he )  Relu |input(4) dense(3, init=he) relu",
      "input(10x2) lstm(8,seq) lstm( 4 ) dense(1)|input(10x2) lstm(8, seq) lstm(4) dense(1)",
      "input(3) layernorm(1e-5) leakyrelu(.2)|input(3) layernorm leakyrelu(0.2)",
  })
  void normalises(String sloppy, String canonical) {
    assertThat(ModelSpec.parse(sloppy).toString()).isEqualTo(canonical);
  }

  @Test
  void recordFieldsAndDefaultInit() {
    ModelSpec s = ModelSpec.parse("input(52x3) lstm(8) dense(4) relu dense(2) tanh dense(1, init=he)");
    assertThat(s.steps()).isEqualTo(52);
    assertThat(s.features()).isEqualTo(3);
    assertThat(s.inputSize()).isEqualTo(156);
    assertThat(s.layers()).hasSize(6);
    assertThat(s.initOf(1)).isEqualTo(ModelSpec.Init.HE);      // before relu
    assertThat(s.initOf(3)).isEqualTo(ModelSpec.Init.GLOROT);  // before tanh
    assertThat(s.initOf(5)).isEqualTo(ModelSpec.Init.HE);      // explicit
    assertThat(ModelSpec.parse("input(2) dense(3) leakyrelu(0.1)").initOf(0)).isEqualTo(ModelSpec.Init.HE);
    assertThat(ModelSpec.parse("input(2) dense(3)").initOf(0)).isEqualTo(ModelSpec.Init.GLOROT);
  }

  /** Each bad spec fails with a message naming the token, its position and what was expected. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "input(784) dnse(256) relu|unknown layer 'dnse' at position 2; expected one of dense, relu",
      "input(4) dense(3) reul|unknown layer 'reul' at position 3",
      "dense(3) relu|got 'dense(3)' at position 1; expected e.g. input(784)",
      "input(0) dense(3)|'input(0)' at position 1; expected a shape",
      "input(4x) dense(3)|'input(4x)' at position 1",
      "input(4) dense(-3)|'dense(-3)' at position 2; expected dense(units)",
      "input(4) dense(3, init=lecun)|'dense(3, init=lecun)' at position 2; expected dense(units) or dense(units, init=he|glorot)",
      "input(4) dense|'dense' at position 2; expected dense(units)",
      "input(4) relu(2)|'relu(2)' at position 2; expected relu without arguments",
      "input(4) leakyrelu|'leakyrelu' at position 2; expected leakyrelu(slope)",
      "input(4) leakyrelu(abc)|'leakyrelu(abc)' at position 2",
      "input(4) layernorm(-1)|'layernorm(-1)' at position 2; expected layernorm or layernorm(eps) with eps > 0",
      "input(4x2) lstm(8, all)|'lstm(8, all)' at position 2; expected lstm(hidden) or lstm(hidden, seq)",
      "input(4) lstm(8)|'lstm(8)' at position 2 needs a sequence input",
      "input(4x2) lstm(8) lstm(4)|'lstm(4)' at position 3 needs a sequence input",
      "input(4) dense(3) input(2)|'input(2)' at position 3",
      "input(4) dense(3|unclosed '(' in token 'dense(3' at position 2",
      "input(4) dense(3))|unbalanced ')'",
      "input(4) dense(3)x|'dense(3)x' at position 2",
      "input(4)|has no layers after input",
  })
  void badSpecsNameTheToken(String text, String expected) {
    assertThatThrownBy(() -> ModelSpec.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(expected);
  }

  @Test
  void emptySpec() {
    assertThatThrownBy(() -> ModelSpec.parse("  ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty model spec");
  }
}
