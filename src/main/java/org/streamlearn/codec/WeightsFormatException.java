package org.streamlearn.codec;

import java.io.IOException;

/** A weights file that is not valid safetensors (or uses a dtype other than F32); the message says where. */
public final class WeightsFormatException extends IOException {
  public WeightsFormatException(String message) {
    super(message);
  }
}
