/**
 * The contract of one running model, shared by the pipeline that trains it ({@code stream}), the
 * HTTP API ({@code http}) and the meters ({@code metrics}), so that none of them imports another:
 * the event-bus addresses and what travels on them ({@link org.streamlearn.model.ModelEvents}),
 * the commands of the control API, the published weights versions, the status, and the figures
 * record the trainer and the ingest loop publish once per step and once per poll.
 */
package org.streamlearn.model;
