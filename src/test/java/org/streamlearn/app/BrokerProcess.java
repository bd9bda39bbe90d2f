package org.streamlearn.app;

import java.nio.file.Path;
import java.util.Map;
import org.streamlearn.stream.EmbeddedKafka;

/**
 * Apache Kafka's broker alone in a JVM (for tests that SIGKILL it): {@code <data dir> <broker port>
 * <controller port>}. Prints {@code BROKER UP <bootstrap>} once it serves, then runs until killed.
 */
public final class BrokerProcess {
  public static final String UP = "BROKER UP ";

  private BrokerProcess() {}

  public static void main(String[] args) throws Exception {
    var kafka = new EmbeddedKafka(Path.of(args[0]), Map.of("group.min.session.timeout.ms", "1000"),
        Integer.parseInt(args[1]), Integer.parseInt(args[2]));
    String bootstrap = kafka.start();
    System.out.println(UP + bootstrap);
    System.out.flush();
    Thread.currentThread().join();
  }
}
