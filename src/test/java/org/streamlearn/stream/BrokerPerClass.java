package org.streamlearn.stream;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real KRaft broker on loopback for one test class: started before its first test, in the class's
 * temporary directory, and closed after its last. Test classes run one after another (no parallel
 * execution is configured), so the static fields belong to the class running.
 */
abstract class BrokerPerClass {
  @TempDir static Path dir;
  static EmbeddedKafka kafka;
  static String bootstrap;

  @BeforeAll
  static void startBroker() {
    kafka = new EmbeddedKafka(dir.resolve("kafka"));
    bootstrap = kafka.start();
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) kafka.close();
    kafka = null;
    bootstrap = null;
  }
}
