package org.streamlearn.stream;

/**
 * The broker did not answer in time (not reachable, not up yet): worth trying again, unlike a
 * refusal (authorization, an invalid topic configuration), which stops start-up.
 */
public final class BrokerUnavailableException extends IllegalStateException {
  public BrokerUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
