package org.streamlearn.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of ARCHITECTURE.md, checked rather than hoped for: the learning core (kernels, nn,
 * optim, learn) knows nothing of Vert.x, Kafka or Micrometer, and no arrow points up the table. The
 * pipeline ({@code stream}), the HTTP API and the meters meet only in the model contract
 * ({@code model}), which depends on none of them.
 */
class ArchitectureTest {
  static JavaClasses classes;

  @BeforeAll
  static void importMain() {
    classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("org.streamlearn");
  }

  @Test
  void coreKnowsNoIoFrameworks() {
    noClasses().that().resideInAnyPackage("..kernels..", "..nn..", "..optim..", "..learn..", "..data..")
        .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "org.apache.kafka..", "io.micrometer..",
            "kafka..", "com.fasterxml..", "org.yaml..")
        .check(classes);
  }

  @Test
  void kernelsUseOnlyTheJdk() {
    noClasses().that().resideInAPackage("org.streamlearn.kernels..")
        .should().dependOnClassesThat().resideInAnyPackage("org.streamlearn.nn..", "org.streamlearn.optim..",
            "org.streamlearn.learn..", "org.streamlearn.codec..", "org.streamlearn.stream..", "org.streamlearn.http..",
            "org.streamlearn.config..", "org.streamlearn.app..", "org.streamlearn.metrics..")
        .check(classes);
  }

  @Test
  void nnDependsOnlyOnKernels() {
    noClasses().that().resideInAPackage("org.streamlearn.nn..")
        .should().dependOnClassesThat().resideInAnyPackage("org.streamlearn.optim..", "org.streamlearn.learn..",
            "org.streamlearn.codec..", "org.streamlearn.stream..", "org.streamlearn.http..", "org.streamlearn.config..",
            "org.streamlearn.app..", "org.streamlearn.metrics..")
        .check(classes);
  }

  @Test
  void optimDoesNotReachUp() {
    noClasses().that().resideInAPackage("org.streamlearn.optim..")
        .should().dependOnClassesThat().resideInAnyPackage("org.streamlearn.learn..", "org.streamlearn.codec..",
            "org.streamlearn.stream..", "org.streamlearn.http..", "org.streamlearn.config..", "org.streamlearn.app..",
            "org.streamlearn.metrics..")
        .check(classes);
  }

  @Test
  void learnDoesNotReachUp() {
    noClasses().that().resideInAPackage("org.streamlearn.learn..")
        .should().dependOnClassesThat().resideInAnyPackage("org.streamlearn.codec..", "org.streamlearn.stream..",
            "org.streamlearn.http..", "org.streamlearn.config..", "org.streamlearn.app..", "org.streamlearn.metrics..")
        .check(classes);
  }

  @Test
  void httpKnowsNoKafka() {
    noClasses().that().resideInAPackage("org.streamlearn.http..")
        .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..", "org.streamlearn.stream..",
            "org.streamlearn.app..")
        .check(classes);
  }

  @Test
  void streamDoesNotKnowHttp() {
    noClasses().that().resideInAPackage("org.streamlearn.stream..")
        .should().dependOnClassesThat().resideInAPackage("org.streamlearn.http..")
        .check(classes);
  }

  @Test
  void metricsKnowModelsOnlyThroughTheContract() {
    noClasses().that().resideInAPackage("org.streamlearn.metrics..")
        .should().dependOnClassesThat().resideInAnyPackage("org.streamlearn.stream..", "org.streamlearn.http..")
        .check(classes);
  }

  @Test
  void theModelContractStandsAlone() {
    noClasses().that().resideInAPackage("org.streamlearn.model..")
        .should().dependOnClassesThat().resideInAnyPackage("org.streamlearn.stream..", "org.streamlearn.http..",
            "org.streamlearn.metrics..", "org.streamlearn.app..")
        .check(classes);
  }

  @Test
  void onlyTheAppWiresEverything() {
    noClasses().that().resideOutsideOfPackage("org.streamlearn.app..")
        .should().dependOnClassesThat().resideInAPackage("org.streamlearn.app..")
        .check(classes);
  }
}
