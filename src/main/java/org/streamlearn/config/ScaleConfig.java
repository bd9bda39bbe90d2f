package org.streamlearn.config;

import java.nio.file.Path;

/**
 * Scale-out and audit settings of one model ({@code models.<name>.replica.id, sync.*, audit.path}).
 *
 * @param replicaId this instance's id in the group: key of its records on {@code <model>.sync}
 * @param syncEverySteps exchange parameters every this many optimizer steps; 0: not by steps
 * @param syncEveryMs exchange at least this often, in ms; 0: not by time
 * @param syncStaleMs a replica not heard from for this long drops out of the average
 * @param auditPath training audit log file, null when off
 * @param instanceId the consumer's group.instance.id (static membership): instance.id, else an
 *     explicitly configured replica.id; null: the runner keeps one in its checkpoint folder
 */
public record ScaleConfig(String replicaId, long syncEverySteps, long syncEveryMs, long syncStaleMs, Path auditPath,
    String instanceId) {
  public ScaleConfig(String replicaId, long syncEverySteps, long syncEveryMs, long syncStaleMs, Path auditPath) {
    this(replicaId, syncEverySteps, syncEveryMs, syncStaleMs, auditPath, null);
  }

  /** Single instance, no audit: what a model runs with when none of the keys is given. */
  public static ScaleConfig single() {
    return new ScaleConfig(defaultReplicaId(), 0, 0, 30_000, null);
  }

  /** Whether replicas exchange parameters (either sync key is set). */
  public boolean sync() {
    return syncEverySteps > 0 || syncEveryMs > 0;
  }

  /** {@code <hostname>-<pid>}, cut to the allowed characters. */
  public static String defaultReplicaId() {
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.io.IOException e) {
        host = "host";
      }
    }
    String id = host.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + ProcessHandle.current().pid();
    return id.length() <= 100 ? id : id.substring(id.length() - 100);
  }
}
