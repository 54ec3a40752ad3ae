package dev.portcullis.policy;

/** A named, reusable set of rules, referenced with the {@code group} selector. */
public record Group(String name, Rules rules) {}
