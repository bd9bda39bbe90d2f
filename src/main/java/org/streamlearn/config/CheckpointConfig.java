package org.streamlearn.config;

import java.nio.file.Path;

/**
 * Checkpoint policy of one model ({@code models.<name>.checkpoint.*}).
 *
 * @param dir this model's own folder, {@code <checkpoint.dir>/<name>}
 * @param everySteps write every this many optimizer steps; 0: not by steps
 * @param everyMs write at least this often while training, in ms; 0: not by time
 * @param keep newest files kept
 * @param fresh ignore existing checkpoints and start a new model
 */
public record CheckpointConfig(Path dir, long everySteps, long everyMs, int keep, boolean fresh) {}
