package dev.portcullis.policy;

import java.util.List;

/**
 * The rules of a policy or group: they hold when at least one {@code include} selector holds,
 * every {@code require} selector holds and no {@code exclude} selector holds.
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

  /** Evaluates the rules and says, when they fail, which rule failed first. */
  public Match evaluate(Subject subject) {
    Selector included = null;
    for (Selector selector : include) {
      if (selector.matches(subject)) {
        included = selector;
        break;
      }
    }
    if (included == null) {
      return Match.failed("no include rule matched ("
          + String.join(" or ", include.stream().map(s -> explain(s, subject)).toList()) + ")");
    }
    for (Selector required : require) {
      if (!required.matches(subject)) {
        return Match.failed("require rule failed (" + explain(required, subject) + ")");
      }
    }
    for (Selector excluded : exclude) {
      if (excluded.matches(subject)) {
        return Match.failed("exclude rule matched (" + excluded.describe() + ")");
      }
    }
    return new Match(true, "matched " + included.describe());
  }

  /** A failed selector in words; for a group, also why the group's own rules failed. */
  private static String explain(Selector selector, Subject subject) {
    if (selector instanceof Selector.GroupRef ref) {
      return selector.describe() + ": " + ref.group().rules().evaluate(subject).explanation();
    }
    return selector.describe();
  }

  /** Whether the rules held, and why in words. */
  public record Match(boolean matched, String explanation) {
    static Match failed(String why) {
      return new Match(false, why);
    }
  }
}
