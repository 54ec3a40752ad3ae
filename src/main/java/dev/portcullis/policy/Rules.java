package dev.portcullis.policy;

import java.util.List;

/**
 * The rules of a policy or group: they hold when at least one {@code include} selector holds,
 * every {@code require} selector holds and no {@code exclude} selector holds.
 *
 * <p>Evaluation allocates nothing but its result and builds no text: a decision is on every
 * request's path, and its explanation is only needed for denials and the policy tester, so
 * {@link Match#explanation(Subject)} renders it on demand.
 *
 * @param include never empty: rules must say whom they are about
 */
public record Rules(List<Selector> include, List<Selector> require, List<Selector> exclude) {

  public Rules {
    if (include.isEmpty()) {
      throw new IllegalArgumentException("rules need at least one include selector");
    }
    include = List.copyOf(include);
    require = List.copyOf(require);
    exclude = List.copyOf(exclude);
  }

  /** Evaluates the rules; the result says which rule decided. */
  public Match evaluate(Subject subject) {
    Selector included = null;
    for (Selector selector : include) {
      if (selector.matches(subject)) {
        included = selector;
        break;
      }
    }
    if (included == null) {
      return new Match(Outcome.NO_INCLUDE, null, this);
    }
    for (Selector required : require) {
      if (!required.matches(subject)) {
        return new Match(Outcome.REQUIRE_FAILED, required, this);
      }
    }
    for (Selector excluded : exclude) {
      if (excluded.matches(subject)) {
        return new Match(Outcome.EXCLUDED, excluded, this);
      }
    }
    return new Match(Outcome.MATCHED, included, this);
  }

  /** How an evaluation ended. */
  public enum Outcome { MATCHED, NO_INCLUDE, REQUIRE_FAILED, EXCLUDED }

  /**
   * Whether the rules held, and which selector decided: the include that matched, the require
   * that failed or the exclude that matched; null when no include matched.
   */
  public record Match(Outcome outcome, Selector selector, Rules rules) {

    public boolean matched() {
      return outcome == Outcome.MATCHED;
    }

    /** The result in words; for a group, also why the group's own rules failed. */
    public String explanation(Subject subject) {
      return switch (outcome) {
        case MATCHED -> "matched " + selector.describe();
        case NO_INCLUDE -> "no include rule matched (" + String.join(" or ",
            rules.include().stream().map(s -> explain(s, subject)).toList()) + ")";
        case REQUIRE_FAILED -> "require rule failed (" + explain(selector, subject) + ")";
        case EXCLUDED -> "exclude rule matched (" + selector.describe() + ")";
      };
    }

    private static String explain(Selector selector, Subject subject) {
      if (selector instanceof Selector.GroupRef ref) {
        return selector.describe() + ": "
            + ref.group().rules().evaluate(subject).explanation(subject);
      }
      return selector.describe();
    }
  }
}
