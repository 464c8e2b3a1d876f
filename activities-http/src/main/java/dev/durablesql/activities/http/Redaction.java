package dev.durablesql.activities.http;

/** Hides the user information of a URL in messages, which end up in the node's stored result. */
final class Redaction {
  private Redaction() {}

  /** {@code https://user:secret@host/x} becomes {@code https://***@host/x}. */
  static String url(String url) {
    int separator = url.indexOf("://");
    if (separator < 0) {
      return url;
    }
    int start = separator + 3;
    int end = url.length();
    for (char stop : new char[] {'/', '?', '#'}) {
      int at = url.indexOf(stop, start);
      if (at >= 0 && at < end) {
        end = at;
      }
    }
    int userinfoEnd = url.lastIndexOf('@', end - 1);
    if (userinfoEnd < start) {
      return url;
    }
    return url.substring(0, start) + "***" + url.substring(userinfoEnd);
  }
}
