package dev.durablesql.engine.substitution;

import java.io.Serial;

/**
 * A reference that cannot be substituted, such as {@code $total} when the result {@code total} has
 * no rows. Unchecked: the step is not run and the node fails with {@link #getMessage()} as its
 * result, which names the reference and carries the fragments clients match ({@code has no rows},
 * {@code is NULL}, {@code whole-value reference}, ...). Retrying cannot help, since substitution
 * depends only on the instance's variables and the stored results.
 */
public final class SubstitutionException extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  SubstitutionException(String message) {
    super(message);
  }
}
