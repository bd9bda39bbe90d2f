package org.streamlearn.checkpoint;

/** A checkpoint file that cannot be used: why, in words. */
public final class CheckpointException extends Exception {
  public CheckpointException(String message) {
    super(message);
  }
}
