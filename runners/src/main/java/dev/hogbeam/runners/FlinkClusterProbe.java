package dev.hogbeam.runners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Asks a Flink JobManager how many TaskManagers and task slots its cluster has. */
interface FlinkClusterProbe {

  /** What a Flink cluster offers a job. */
  record Cluster(int taskManagers, int slots) {}

  /**
   * @param flinkMaster the {@code --flinkMaster} value, {@code host:port} of the REST endpoint
   * @throws IOException when the JobManager cannot be reached or answers nonsense
   */
  Cluster probe(String flinkMaster) throws IOException;

  /** The probe over the JobManager's REST API ({@code GET /taskmanagers}). */
  static FlinkClusterProbe rest(Duration timeout) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
    ObjectMapper json = new ObjectMapper();
    return flinkMaster -> {
      String base = flinkMaster.contains("://") ? flinkMaster : "http://" + flinkMaster;
      URI uri;
      try {
        uri = URI.create(base.replaceAll("/+$", "") + "/taskmanagers");
      } catch (IllegalArgumentException e) {
        throw new IOException("--flinkMaster is not host:port: " + flinkMaster, e);
      }
      HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
      HttpResponse<String> response;
      try {
        response = client.send(request, HttpResponse.BodyHandlers.ofString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while asking " + uri, e);
      }
      if (response.statusCode() != 200) {
        throw new IOException("GET " + uri + " answered HTTP " + response.statusCode());
      }
      return parseTaskManagers(json.readTree(response.body()));
    };
  }

  /** The answer of {@code GET /taskmanagers}: {@code {"taskmanagers":[{"slotsNumber":2,...}]}}. */
  static Cluster parseTaskManagers(JsonNode body) throws IOException {
    JsonNode taskManagers = body.path("taskmanagers");
    if (!taskManagers.isArray()) {
      throw new IOException("no 'taskmanagers' list in the JobManager's answer");
    }
    int slots = 0;
    for (JsonNode taskManager : taskManagers) {
      slots += taskManager.path("slotsNumber").asInt(0);
    }
    return new Cluster(taskManagers.size(), slots);
  }
}
