package dev.portcullis.policy;

/** A named action with its rules. */
public record Policy(String name, Action action, Rules rules) {}
