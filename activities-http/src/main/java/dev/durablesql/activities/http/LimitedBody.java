package dev.durablesql.activities.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serial;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.ResponseInfo;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Reads a response body into memory up to a limit; a larger body (declared or streamed) fails the
 * exchange with {@link TooLarge} and stops reading, so an endless body cannot exhaust memory.
 */
final class LimitedBody implements BodyHandler<byte[]> {
  private final long maxBytes;

  LimitedBody(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  @Override
  public BodySubscriber<byte[]> apply(ResponseInfo info) {
    long declared;
    try {
      declared = info.headers().firstValueAsLong("content-length").orElse(-1);
    } catch (NumberFormatException e) {
      declared = -1;
    }
    return new Subscriber(maxBytes, declared);
  }

  /** A body over the limit; {@code bytes} is the declared length or the count read so far. */
  static final class TooLarge extends IOException {
    @Serial private static final long serialVersionUID = 1L;

    private final long bytes;
    private final boolean declared;

    TooLarge(long bytes, boolean declared, long maxBytes) {
      super(
          (declared
                  ? "the response declares " + bytes + " bytes"
                  : "the response exceeded " + maxBytes + " bytes")
              + ", over the limit of "
              + maxBytes
              + " bytes");
      this.bytes = bytes;
      this.declared = declared;
    }

    long bytes() {
      return bytes;
    }

    boolean declared() {
      return declared;
    }
  }

  /** Signals arrive one at a time (Reactive Streams rule 1.3), so no locking is needed. */
  private static final class Subscriber implements BodySubscriber<byte[]> {
    private final long maxBytes;
    private final long declared;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private Flow.Subscription subscription;

    Subscriber(long maxBytes, long declared) {
      this.maxBytes = maxBytes;
      this.declared = declared;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      if (declared > maxBytes) {
        subscription.cancel();
        result.completeExceptionally(new TooLarge(declared, true, maxBytes));
        return;
      }
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer buffer : buffers) {
        if ((long) bytes.size() + buffer.remaining() > maxBytes) {
          subscription.cancel();
          result.completeExceptionally(
              new TooLarge((long) bytes.size() + buffer.remaining(), false, maxBytes));
          return;
        }
        byte[] chunk = new byte[buffer.remaining()];
        buffer.get(chunk);
        bytes.writeBytes(chunk);
      }
    }

    @Override
    public void onError(Throwable failure) {
      result.completeExceptionally(failure);
    }

    @Override
    public void onComplete() {
      result.complete(bytes.toByteArray());
    }
  }
}
