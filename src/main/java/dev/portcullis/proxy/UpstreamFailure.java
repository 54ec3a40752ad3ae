package dev.portcullis.proxy;

/** Why an upstream could not answer; decides between 502 and 504. */
public enum UpstreamFailure {
  /** Refused, reset, unresolvable, or answered something that is not HTTP: 502. */
  UNREACHABLE,
  /** No connection or no answer in time: 504. */
  TIMED_OUT
}
