package org.streamlearn.stream;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Apache Kafka's own KRaft broker (combined broker and controller, node 1) in this process, on
 * 127.0.0.1, for the default mode and for tests. Data lives under the given directory and survives
 * {@link #close()}: a later {@link #start()} on the same directory keeps topics, records and
 * committed offsets, and listens on the same ports, so clients can ride out a broker outage.
 *
 * <p>Tuned to start fast and small: internal topics with replication 1 and few partitions, no
 * initial rebalance delay, and a 2 MiB log-cleaner dedupe buffer (the 128 MiB default does not fit a
 * small heap).
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final int NODE_ID = 1;
  private static final String CONTROLLER = "CONTROLLER";

  private final Path dir;
  private final Map<String, String> overrides;
  private int brokerPort;
  private int controllerPort;
  private KafkaRaftServer server;

  /** A broker with data under {@code dir} (created if absent). */
  public EmbeddedKafka(Path dir) {
    this(dir, Map.of());
  }

  /** @param overrides broker properties that replace or add to the defaults */
  public EmbeddedKafka(Path dir, Map<String, String> overrides) {
    this(dir, overrides, 0, 0);
  }

  /**
   * A broker on fixed loopback ports (0 for both: free ones picked at the first start), so that a
   * new process on the same directory and ports takes over where a killed one stopped.
   */
  public EmbeddedKafka(Path dir, Map<String, String> overrides, int brokerPort, int controllerPort) {
    if ((brokerPort == 0) != (controllerPort == 0) || brokerPort < 0 || controllerPort < 0 || brokerPort > 65535
        || controllerPort > 65535 || (brokerPort != 0 && brokerPort == controllerPort))
      throw new IllegalArgumentException("broker and controller ports must be two different ports in [1, 65535], "
          + "or both 0: " + brokerPort + ", " + controllerPort);
    this.dir = dir.toAbsolutePath();
    this.overrides = Map.copyOf(overrides);
    this.brokerPort = brokerPort;
    this.controllerPort = controllerPort;
  }

  /**
   * Formats the directory if it is new, starts the broker and returns its bootstrap servers
   * ({@code 127.0.0.1:<port>}). Ports are picked free on the first start and reused on restarts.
   */
  public synchronized String start() {
    if (server != null) return bootstrapServers();
    try {
      Files.createDirectories(dir);
      if (brokerPort == 0) {
        int[] ports = freePorts(2);
        brokerPort = ports[0];
        controllerPort = ports[1];
      }
      Map<String, Object> props = props();
      if (!Files.exists(dir.resolve("meta.properties"))) format();
      long t0 = System.nanoTime();
      KafkaRaftServer s = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
      try {
        s.startup();
      } catch (RuntimeException e) {
        s.shutdown();
        s.awaitShutdown();
        throw e;
      }
      server = s;
      log.info("embedded Kafka broker on {} (data {}) started in {} ms", bootstrapServers(), dir,
          (System.nanoTime() - t0) / 1_000_000);
      return bootstrapServers();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded Kafka broker in " + dir, e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the embedded Kafka broker in " + dir + ": " + e, e);
    }
  }

  public String bootstrapServers() {
    if (brokerPort == 0) throw new IllegalStateException("embedded Kafka broker never started");
    return "127.0.0.1:" + brokerPort;
  }

  public synchronized boolean running() {
    return server != null;
  }

  public Path dir() {
    return dir;
  }

  /** Shuts the broker down and waits until it has stopped; the data stays. Idempotent. */
  @Override
  public synchronized void close() {
    if (server == null) return;
    KafkaRaftServer s = server;
    server = null;
    s.shutdown();
    s.awaitShutdown();
    log.info("embedded Kafka broker on {} stopped", bootstrapServers());
  }

  private Map<String, Object> props() {
    Map<String, Object> p = new HashMap<>();
    String logDir = dir.toString();
    p.put("process.roles", "broker,controller");
    p.put("node.id", String.valueOf(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
    p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + "," + CONTROLLER + "://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER + ":PLAINTEXT");
    p.put("controller.listener.names", CONTROLLER);
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", logDir);
    p.put("metadata.log.dir", logDir);
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024));
    p.putAll(overrides);
    return p;
  }

  private void format() throws Exception {
    new Formatter()
        .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
        .setClusterId(Uuid.randomUuid().toString())
        .setNodeId(NODE_ID)
        .setControllerListenerName(CONTROLLER)
        .setDirectories(List.of(dir.toString()))
        .setMetadataLogDirectory(dir.toString())
        .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
        .run();
  }

  /**
   * Broker and controller ports for a broker that should listen on {@code preferred}: that port and
   * the next one when both are free on loopback now; a taken controller port is replaced by a free
   * one, a taken broker port by a free one too (check {@code [0] == preferred} to tell). 0 picks both
   * free.
   */
  public static int[] portsPreferring(int preferred) throws IOException {
    if (preferred < 0 || preferred > 65535) throw new IllegalArgumentException("port " + preferred + ": must be in [0, 65535]");
    if (preferred == 0 || !free(preferred)) return freePorts(2);
    int controller = preferred < 65535 && free(preferred + 1) ? preferred + 1 : 0;
    while (controller == 0 || controller == preferred) controller = freePort();
    return new int[] {preferred, controller};
  }

  /** Whether a server socket can bind this port on 127.0.0.1 now. */
  static boolean free(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * {@code n} distinct free loopback ports: all held open while choosing (two calls of
   * {@link #freePort()} can return the same port, and a broker cannot listen twice on one).
   */
  public static int[] freePorts(int n) throws IOException {
    ServerSocket[] held = new ServerSocket[n];
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        held[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ports[i] = held[i].getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : held) if (s != null) s.close();
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
