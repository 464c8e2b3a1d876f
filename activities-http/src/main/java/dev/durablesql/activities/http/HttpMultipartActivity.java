package dev.durablesql.activities.http;

import java.util.Map;

/**
 * The built-in {@code http_multipart} activity: runs {@code df.http_multipart} nodes. As {@link
 * HttpActivity}, with the node's {@code parts} sent as {@code multipart/form-data}.
 */
public final class HttpMultipartActivity extends HttpActivity {

  @Override
  public String type() {
    return "http_multipart";
  }

  @Override
  HttpCall call(Map<String, Object> config) {
    return HttpCall.fromMultipartNode(config);
  }
}
