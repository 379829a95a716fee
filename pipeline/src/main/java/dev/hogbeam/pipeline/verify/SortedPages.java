package dev.hogbeam.pipeline.verify;

import java.util.List;
import java.util.NoSuchElementException;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * An ascending stream of strings read page by page (keyset: each page after the last value of the
 * one before), holding one page at a time.
 */
final class SortedPages {
  /** Fetches up to {@code limit} values greater than {@code after}, ascending. */
  interface Fetch {
    List<String> after(String after, int limit) throws Exception;
  }

  private final Fetch fetch;
  private final int limit;
  private List<String> page = List.of();
  private int next;
  private boolean exhausted;
  private String last = "";

  SortedPages(Fetch fetch, int limit) {
    this.fetch = fetch;
    this.limit = limit;
  }

  /** The next value without consuming it, or null at the end. */
  @Nullable String peek() throws Exception {
    while (next == page.size()) {
      if (exhausted) {
        return null;
      }
      page = fetch.after(last, limit);
      next = 0;
      exhausted = page.size() < limit;
      if (!page.isEmpty()) {
        last = page.get(page.size() - 1);
      }
    }
    return page.get(next);
  }

  String take() throws Exception {
    String v = peek();
    if (v == null) {
      throw new NoSuchElementException();
    }
    next++;
    return v;
  }
}
