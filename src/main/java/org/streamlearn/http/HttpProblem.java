package org.streamlearn.http;

/**
 * A request the API refuses, with the status and the body's two fields: {@code error} (a short
 * code) and {@code detail} (what was wrong, naming the offending value). Thrown by request parsing
 * on worker threads; {@link HttpErrors} turns it into the JSON response.
 */
final class HttpProblem extends RuntimeException {
  final int status;
  final String error;

  HttpProblem(int status, String error, String detail) {
    super(detail, null, false, false); // an expected outcome: no stack trace
    this.status = status;
    this.error = error;
  }

  String detail() {
    return getMessage();
  }

  static HttpProblem badRequest(String error, String detail) {
    return new HttpProblem(400, error, detail);
  }
}
