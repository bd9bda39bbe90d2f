package org.streamlearn.dashboards;

/** Where docker/compose.yaml mounts the dashboards inside the Grafana container. */
final class ProvisioningPaths {
  static final String GRAFANA_DASHBOARDS_DIR = "/var/lib/grafana/dashboards";

  private ProvisioningPaths() {}
}
