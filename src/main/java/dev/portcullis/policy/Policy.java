package dev.portcullis.policy;

import java.util.List;

/**
 * A named action with its rules: it matches when at least one {@code include} selector holds,
 * every {@code require} selector holds and no {@code exclude} selector holds.
 *
 * @param include never empty: a policy must say whom it is about
 */
public record Policy(
    String name, Action action, List<Selector> include, List<Selector> require,
    List<Selector> exclude) {

  public Policy {
    if (include.isEmpty()) {
      throw new IllegalArgumentException("policy '" + name + "' has no include rule");
    }
    include = List.copyOf(include);
    require = List.copyOf(require);
    exclude = List.copyOf(exclude);
  }

  /** Evaluates the rules and says, when they fail, which rule failed first. */
  Match evaluate(Subject subject) {
    Selector included = include.stream().filter(s -> s.matches(subject)).findFirst().orElse(null);
    if (included == null) {
      return Match.failed("no include rule matched ("
          + String.join(" or ", include.stream().map(Selector::describe).toList()) + ")");
    }
    for (Selector required : require) {
      if (!required.matches(subject)) {
        return Match.failed("require rule failed (" + required.describe() + ")");
      }
    }
    for (Selector excluded : exclude) {
      if (excluded.matches(subject)) {
        return Match.failed("exclude rule matched (" + excluded.describe() + ")");
      }
    }
    return new Match(true, "matched " + included.describe());
  }

  record Match(boolean matched, String explanation) {
    static Match failed(String why) {
      return new Match(false, why);
    }
  }
}
