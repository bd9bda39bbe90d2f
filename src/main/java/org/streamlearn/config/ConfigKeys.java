package org.streamlearn.config;

import static org.streamlearn.config.ConfigDef.Importance.HIGH;
import static org.streamlearn.config.ConfigDef.Importance.LOW;
import static org.streamlearn.config.ConfigDef.Importance.MEDIUM;
import static org.streamlearn.config.ConfigDef.REQUIRED;
import static org.streamlearn.config.ConfigDef.Type.BOOLEAN;
import static org.streamlearn.config.ConfigDef.Type.DOUBLE;
import static org.streamlearn.config.ConfigDef.Type.INT;
import static org.streamlearn.config.ConfigDef.Type.LIST;
import static org.streamlearn.config.ConfigDef.Type.LONG;
import static org.streamlearn.config.ConfigDef.Type.STRING;
import static org.streamlearn.config.ConfigDef.atLeast;
import static org.streamlearn.config.ConfigDef.atLeastBelow;
import static org.streamlearn.config.ConfigDef.between;
import static org.streamlearn.config.ConfigDef.each;
import static org.streamlearn.config.ConfigDef.greaterThan;
import static org.streamlearn.config.ConfigDef.in;
import static org.streamlearn.config.ConfigDef.matches;
import static org.streamlearn.config.ConfigDef.nonEmpty;
import static org.streamlearn.config.ConfigDef.strictlyBetween;

import java.util.regex.Pattern;

/**
 * Every configuration key, declared once. Service-wide keys live in {@link #GLOBAL}; keys of one
 * model live in {@link #MODEL} relative to {@code models.<name>.}; {@code kafka.properties.*} passes
 * any Kafka client property through verbatim. The table in src/site/markdown/configuration.md is
 * generated from here ({@link ConfigDocs}).
 */
public final class ConfigKeys {
  private ConfigKeys() {}

  public static final String KAFKA_BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
  public static final String KAFKA_EMBEDDED_DIR = "kafka.embedded.dir";
  public static final String KAFKA_EMBEDDED_PORT = "kafka.embedded.port";
  public static final String KAFKA_PROPERTIES_PREFIX = "kafka.properties.";
  public static final String KAFKA_TOPICS_PARTITIONS = "kafka.topics.partitions";
  public static final String KAFKA_TOPICS_REPLICATION = "kafka.topics.replication";
  public static final String KAFKA_STARTUP_TIMEOUT_MS = "kafka.startup.timeout.ms";
  public static final String HTTP_HOST = "http.host";
  public static final String HTTP_PORT = "http.port";
  public static final String HTTP_BODY_LIMIT_BYTES = "http.body.limit.bytes";
  public static final String HTTP_CONTROL_TOKEN = "http.control.token";
  public static final String DEMO_ENABLED = "demo.enabled";
  public static final String DEMO_RATE = "demo.rate";
  public static final String PROGRESS_INTERVAL_MS = "progress.interval.ms";
  public static final String SHUTDOWN_TIMEOUT_MS = "shutdown.timeout.ms";

  public static final String MODELS_PREFIX = "models.";
  // Keys of one model, relative to models.<name>.
  public static final String TOPICS = "topics";
  public static final String GROUP = "group";
  public static final String FORMAT = "format";
  public static final String FEATURES = "features";
  public static final String WINDOW = "window";
  public static final String CHANNELS = "channels";
  public static final String JSON_X = "json.x";
  public static final String JSON_Y = "json.y";
  public static final String CSV_LABEL_COLUMN = "csv.label.column";
  public static final String LABEL_TYPE = "label.type";
  public static final String LABEL_CLASSES = "label.classes";
  public static final String TARGETS = "targets";
  public static final String INPUT_NORMALIZE = "input.normalize";
  public static final String LABEL_NORMALIZE = "label.normalize";
  public static final String NORMALIZE_HALF_LIFE = "normalize.half.life";
  public static final String DRIFT_DETECTOR = "drift.detector";
  public static final String DRIFT_ACTION = "drift.action";
  public static final String PLASTICITY = "plasticity";
  public static final String LAYERS = "layers";
  public static final String LOSS = "loss";
  public static final String OPTIMIZER_NAME = "optimizer.name";
  public static final String OPTIMIZER_LR = "optimizer.lr";
  public static final String OPTIMIZER_MOMENTUM = "optimizer.momentum";
  public static final String OPTIMIZER_BETA1 = "optimizer.beta1";
  public static final String OPTIMIZER_BETA2 = "optimizer.beta2";
  public static final String OPTIMIZER_EPS = "optimizer.eps";
  public static final String OPTIMIZER_RHO = "optimizer.rho";
  public static final String OPTIMIZER_L2 = "optimizer.l2";
  public static final String OPTIMIZER_WEIGHT_DECAY = "optimizer.weight.decay";
  public static final String BATCH_SIZE = "batch.size";
  public static final String BATCH_LINGER_MS = "batch.linger.ms";
  public static final String TRAIN_THREADS = "train.threads";
  public static final String SCHEDULE = "schedule";
  public static final String CLIP = "clip";
  public static final String SEED = "seed";
  public static final String DIVERGENCE_LR_FACTOR = "divergence.lr.factor";
  public static final String DIVERGENCE_BACKUP_EVERY_STEPS = "divergence.backup.every.steps";
  public static final String METRICS_WINDOW = "metrics.window";
  public static final String PUBLISH_EVERY_STEPS = "publish.every.steps";
  public static final String PUBLISH_EVERY_MS = "publish.every.ms";
  public static final String QUEUE_MAX_RECORDS = "queue.max.records";
  public static final String DEMO = "demo";
  public static final String CHECKPOINT_DIR = "checkpoint.dir";
  public static final String CHECKPOINT_EVERY_STEPS = "checkpoint.every.steps";
  public static final String CHECKPOINT_EVERY_MS = "checkpoint.every.ms";
  public static final String CHECKPOINT_KEEP = "checkpoint.keep";
  public static final String CHECKPOINT_FRESH = "checkpoint.fresh";
  public static final String REPLICA_ID = "replica.id";
  public static final String INSTANCE_ID = "instance.id";
  public static final String SYNC_EVERY_STEPS = "sync.every.steps";
  public static final String SYNC_EVERY_MS = "sync.every.ms";
  public static final String SYNC_STALE_MS = "sync.stale.ms";
  public static final String AUDIT_PATH = "audit.path";

  /** A model name: becomes part of topic names, group ids, meter tags and URLs. */
  public static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
  /** RFC 6750's b64token, at least 16 characters (e.g. {@code openssl rand -hex 32}). */
  static final Pattern BEARER_TOKEN = Pattern.compile("|[A-Za-z0-9._~+/-]{16,}=*");
  /** A replica id: the key of its records on {@code <model>.sync}, a meter tag and part of file names. */
  public static final Pattern REPLICA = Pattern.compile("[A-Za-z0-9._-]{1,100}");
  /** auto, or 1..1024 written plainly. */
  static final Pattern TRAIN_THREADS_SPEC = Pattern.compile("auto|[1-9][0-9]{0,2}|10[01][0-9]|102[0-4]");
  private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");
  private static final Pattern HOST_PORTS =
      Pattern.compile("|([^,:\\s]+:\\d{1,5})(\\s*,\\s*[^,:\\s]+:\\d{1,5})*");
  /** {@code mse}, {@code huber} or {@code huber(1.5)}. */
  static final Pattern LOSS_SPEC =
      Pattern.compile("(mse|cross_entropy|bce_with_logits|huber)(\\(\\s*([0-9.eE+-]+)\\s*\\))?");
  /** {@code none}, {@code norm(1.0)}, {@code value(0.5)}. */
  static final Pattern CLIP_SPEC = Pattern.compile("none|(norm|value)\\(\\s*([0-9.eE+-]+)\\s*\\)");
  /** {@code constant} or {@code name(key=number, ...)}. */
  static final Pattern SCHEDULE_SPEC = Pattern.compile(
      "[a-z_][a-z0-9_]*(\\(\\s*([a-z_][a-z0-9_]*\\s*=\\s*[0-9.eE+-]+\\s*(,\\s*[a-z_][a-z0-9_]*\\s*=\\s*[0-9.eE+-]+\\s*)*)?\\))?");

  public static final String[] OPTIMIZERS = {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"};
  public static final String[] DEMO_SOURCES = {"none", "digits", "iris", "co2", "sunspots"};

  public static final ConfigDef GLOBAL = new ConfigDef()
      .define(KAFKA_BOOTSTRAP_SERVERS, STRING, "", "(empty: embedded broker)",
          matches(HOST_PORTS, "must be empty or a comma-separated list of host:port"), HIGH,
          "Kafka brokers to connect to. Empty or absent: start Apache Kafka's own KRaft broker in process "
              + "on 127.0.0.1 (free ports), with data under kafka.embedded.dir.")
      .define(KAFKA_EMBEDDED_DIR, STRING, "data/kafka", nonEmpty(), MEDIUM,
          "Data directory of the embedded broker; kept across restarts.")
      .define(KAFKA_EMBEDDED_PORT, INT, 9092, between(0, 65535), HIGH,
          "Port of the embedded broker on 127.0.0.1 (its controller takes the next port, or a free one). "
              + "When the port is taken the broker falls back to a free port and logs a warning naming it; "
              + "0: any free port. The start banner prints the bootstrap address.")
      .define(KAFKA_TOPICS_PARTITIONS, INT, 1, between(1, 10_000), MEDIUM,
          "Partitions of the topics the service creates (training topics of demo models, weights, dead letters).")
      .define(KAFKA_TOPICS_REPLICATION, INT, 1, between(1, Short.MAX_VALUE), MEDIUM,
          "Replication factor of the topics the service creates; must be 1 with the embedded broker.")
      .define(KAFKA_STARTUP_TIMEOUT_MS, LONG, 0L, "(0: wait for ever)", atLeast(0), MEDIUM,
          "How long start-up waits for an unreachable broker. Meanwhile HTTP serves, GET /ready answers 503 "
              + "naming the broker, and every model starts as soon as the broker answers. 0: wait for ever; "
              + "after a positive time the service stops with an error (exit status 1).")
      .define(HTTP_HOST, STRING, "127.0.0.1", nonEmpty(), HIGH,
          "Address the HTTP server binds to; 0.0.0.0 to listen on every interface.")
      .define(HTTP_PORT, INT, 8080, between(0, 65535), HIGH, "HTTP port; 0 picks a free port.")
      .define(HTTP_BODY_LIMIT_BYTES, LONG, 1_048_576L, between(1, 1L << 30), LOW,
          "Largest accepted HTTP request body (predict requests, records posted to a model), in bytes; "
              + "larger ones get 413.")
      .define(HTTP_CONTROL_TOKEN, STRING, "", "(empty: control API off)",
          matches(BEARER_TOKEN, "must be empty or at least 16 characters of A-Z a-z 0-9 . _ ~ + / - (then optional =)"),
          HIGH, "Bearer token that POST /models/{m}/control (pause, resume, reset, learning rate) requires; "
              + "empty: that endpoint answers 403. A secret: masked in logs and never served.")
      .define(DEMO_ENABLED, BOOLEAN, false, ConfigDef.any("true or false"), MEDIUM,
          "Produce the bundled demo data sets into the training topics of models that name a demo source.")
      .define(DEMO_RATE, DOUBLE, 200.0, between(0.001, 1_000_000), LOW,
          "Records per second of each demo stream.")
      .define(PROGRESS_INTERVAL_MS, LONG, 10_000L, between(0, 86_400_000L), LOW,
          "How often a progress line per model is logged, in ms; 0 turns it off.")
      .define(SHUTDOWN_TIMEOUT_MS, LONG, 10_000L, between(100, 600_000L), LOW,
          "How long a graceful shutdown (final checkpoint, closing Kafka clients) may take, in ms.");

  public static final ConfigDef MODEL = new ConfigDef()
      .define(TOPICS, LIST, REQUIRED, nonEmpty().and(each(matches(TOPIC, "must be a legal Kafka topic name ([A-Za-z0-9._-], 1 to 249 chars)"))), HIGH,
          "Training topics of the model.")
      .define(GROUP, STRING, null, "streamlearn-<name>", nonEmpty(), MEDIUM,
          "Kafka consumer group; instances sharing it split the partitions.")
      .define(FORMAT, STRING, "json", in("json", "csv", "f32"), HIGH,
          "Record format: json ({\"x\":[...],\"y\":...}), csv (numbers, label column) or f32 "
              + "(little-endian float32 features then label).")
      .define(FEATURES, INT, null, "window × channels", between(1, 1 << 24), HIGH,
          "Number of input features per example; for sequence inputs give window and channels instead.")
      .define(WINDOW, INT, null, "(not a sequence)", between(1, 1 << 20), MEDIUM,
          "Sequence inputs: time steps per example (features = window × channels).")
      .define(CHANNELS, INT, 1, between(1, 1 << 20), MEDIUM, "Sequence inputs: values per time step.")
      .define(JSON_X, STRING, "x", nonEmpty(), LOW, "json: field holding the feature array.")
      .define(JSON_Y, STRING, "y", nonEmpty(), LOW, "json: field holding the label (number, or array of targets).")
      .define(CSV_LABEL_COLUMN, INT, -1, "-1 (last)", between(-1, 1 << 24), LOW,
          "csv: 0-based column of the (first) label; -1 means the last column(s).")
      .define(LABEL_TYPE, STRING, "class", in("class", "regression"), HIGH,
          "class: the label is a class index in [0, label.classes); regression: targets real values.")
      .define(LABEL_CLASSES, INT, null, "(required for class)", between(2, 1 << 20), HIGH,
          "Number of classes (label.type=class).")
      .define(TARGETS, INT, 1, between(1, 1 << 16), MEDIUM, "Number of regression outputs (label.type=regression).")
      .define(INPUT_NORMALIZE, STRING, "standard", in("standard", "none"), HIGH,
          "standard: the model sees every feature as (x - mean) / std, by per-feature running statistics "
              + "updated from each batch before it is scored, kept in checkpoints, published with the weights "
              + "(tensors input.mean, input.std) and applied by /predict; raw features of very different "
              + "scales otherwise slow or stall learning. none: features as they arrive.")
      .define(LABEL_NORMALIZE, STRING, "none", in("standard", "none"), MEDIUM,
          "Regression: standard learns targets as (y - mean) / std by running statistics (tensors label.mean, "
              + "label.std) and turns outputs back into label units for /predict and MAE/RMSE; none: raw targets.")
      .define(NORMALIZE_HALF_LIFE, DOUBLE, 0.0, "0 (whole stream)",
          new ConfigDef.Validator("must be 0 or >= 1", v -> v instanceof Number n && (n.doubleValue() == 0 || n.doubleValue() >= 1)),
          LOW, "Examples after which an example's weight in the normalize statistics has halved, so they follow "
              + "a drifting stream; 0: every example weighs the same (Welford's running mean and variance).")
      .define(DRIFT_DETECTOR, STRING, "none", nonEmpty(), MEDIUM,
          "Drift detection on each example's prequential loss: none, page_hinkley(delta=0.005, threshold=50, "
              + "alpha=0.9999, min_instances=30) or adwin(delta=0.002, clock=32) (arguments optional, defaults "
              + "River's). Only a rise of the loss counts. Each detection counts in streamlearn_drift_detected_total, "
              + "is sent as an SSE drift event and triggers drift.action.")
      .define(DRIFT_ACTION, STRING, "none", nonEmpty(), MEDIUM,
          "What a detected drift does: none, lr(factor=3, steps=100) (the learning rate times factor for the "
              + "next steps) or reset_optimizer (optimizer moments and step count back to zero, weights kept).")
      .define(PLASTICITY, STRING, "none", nonEmpty(), MEDIUM,
          "Keeping plasticity over never-ending training: none; cbp(rate=1e-4, maturity=100, decay=0.99), "
              + "continual backprop (Dohare et al., Nature 2024): the lowest-utility hidden units of dense layers "
              + "older than maturity steps are re-initialised at rate per step; shrink_perturb(shrink=1e-4, "
              + "noise=1e-4): every step θ = (1 - shrink)·θ + noise·N(0, 1).")
      .define(LAYERS, STRING, REQUIRED, nonEmpty(), HIGH,
          "Layer spec, e.g. \"input(64) dense(64) relu dense(10)\".")
      .define(LOSS, STRING, null, "cross_entropy (class), mse (regression)",
          matches(LOSS_SPEC, "must be one of mse, cross_entropy, bce_with_logits, huber, huber(delta)"), HIGH,
          "Loss function.")
      .define(OPTIMIZER_NAME, STRING, "adam", in(OPTIMIZERS), HIGH, "Optimizer.")
      .define(OPTIMIZER_LR, DOUBLE, 0.001, greaterThan(0).and(ConfigDef.atMost(10)), HIGH, "Base learning rate.")
      .define(OPTIMIZER_MOMENTUM, DOUBLE, 0.9, atLeastBelow(0, 1), MEDIUM, "momentum, nesterov, rmsprop: momentum.")
      .define(OPTIMIZER_BETA1, DOUBLE, 0.9, atLeastBelow(0, 1), LOW, "adam, adamw: decay of the first moment.")
      .define(OPTIMIZER_BETA2, DOUBLE, 0.999, atLeastBelow(0, 1), LOW, "adam, adamw: decay of the second moment.")
      .define(OPTIMIZER_EPS, DOUBLE, 1e-8, strictlyBetween(0, 1), LOW, "adagrad, rmsprop, adam, adamw: epsilon.")
      .define(OPTIMIZER_RHO, DOUBLE, 0.9, atLeastBelow(0, 1), LOW, "rmsprop: decay of the squared-gradient average.")
      .define(OPTIMIZER_L2, DOUBLE, 0.0, atLeast(0), LOW, "L2 penalty added to the gradient (coupled).")
      .define(OPTIMIZER_WEIGHT_DECAY, DOUBLE, 0.01, atLeast(0), LOW, "adamw: decoupled weight decay (scaled by lr).")
      .define(BATCH_SIZE, INT, 32, between(1, 4096), HIGH, "Examples per training step.")
      .define(BATCH_LINGER_MS, LONG, 50L, between(0, 60_000), MEDIUM,
          "A partial batch is trained once its oldest record has waited this long, in ms.")
      .define(TRAIN_THREADS, STRING, "auto", matches(TRAIN_THREADS_SPEC, "must be auto or a whole number in [1, 1024]"),
          MEDIUM,
          "Threads a training step splits its matrix products and optimizer sweep across (the trainer and"
              + " parked helpers of its own; at batch.size 1, the first layer's update fused with the next"
              + " forward). auto: the machine's cores, used only while"
              + " measured faster than the trainer alone (probed between steps, again every few seconds of"
              + " training); a number: exactly that many. Results are bit-identical for every count, so a"
              + " checkpoint resumes exactly under another and auto's choices never change the weights.")
      .define(SCHEDULE, STRING, "constant",
          matches(SCHEDULE_SPEC, "must be name or name(key=number, ...), e.g. cosine(warmup=100,total=10000)"), MEDIUM,
          "Learning-rate schedule, e.g. constant, cosine(warmup=100,total=10000).")
      .define(CLIP, STRING, "none", matches(CLIP_SPEC, "must be none, norm(x) or value(x) with x > 0"), MEDIUM,
          "Gradient clipping: none, norm(max global L2 norm) or value(max |g|).")
      .define(SEED, LONG, 42L, ConfigDef.any("any long"), LOW, "Seed of weight initialization (and of the demo stream).")
      .define(DIVERGENCE_LR_FACTOR, DOUBLE, 0.5, strictlyBetween(0, 1), LOW,
          "On divergence (non-finite loss) the learner rolls back and multiplies the learning rate by this.")
      .define(DIVERGENCE_BACKUP_EVERY_STEPS, INT, 100, between(1, 100_000_000), LOW,
          "Optimizer steps between the divergence guard's copies of the last good state (parameters and "
              + "optimizer state); a divergence rolls back at most this many steps. Each copy costs about one "
              + "step's worth of memory traffic over the state.")
      .define(METRICS_WINDOW, INT, 1000, between(1, 10_000_000), LOW,
          "Examples in the sliding window of prequential loss and accuracy.")
      .define(PUBLISH_EVERY_STEPS, LONG, 100L, atLeast(0), MEDIUM,
          "Publish a weights version every this many optimizer steps; 0: not by steps.")
      .define(PUBLISH_EVERY_MS, LONG, 5000L, atLeast(0), MEDIUM,
          "Publish a weights version at least this often while training, in ms; 0: not by time.")
      .define(QUEUE_MAX_RECORDS, INT, 10_000, between(1, 10_000_000), MEDIUM,
          "Decoded records waiting for the trainer; ingest pauses the consumer above this (backpressure).")
      .define(DEMO, STRING, "none", in(DEMO_SOURCES), LOW,
          "Demo data set produced into the first topic when demo.enabled is true.")
      .define(CHECKPOINT_DIR, STRING, "data/checkpoints", nonEmpty(), MEDIUM,
          "Directory of checkpoints; each model writes into its own folder <checkpoint.dir>/<name>.")
      .define(CHECKPOINT_EVERY_STEPS, LONG, 1000L, atLeast(0), MEDIUM,
          "Write a checkpoint (full learner state and the input offsets it covers) every this many "
              + "optimizer steps; 0: not by steps.")
      .define(CHECKPOINT_EVERY_MS, LONG, 60_000L, atLeast(0), MEDIUM,
          "Write a checkpoint at least this often while records arrive, in ms; 0: not by time. "
              + "With both 0 only the graceful stop writes one.")
      .define(CHECKPOINT_KEEP, INT, 3, between(1, 1000), LOW, "Newest checkpoint files kept per model.")
      .define(CHECKPOINT_FRESH, BOOLEAN, false, ConfigDef.any("true or false"), MEDIUM,
          "Ignore existing checkpoints (set aside as *.ckpt.replaced) and start a new model "
              + "(fresh parameters, not resumed from the weights topic either).")
      .define(REPLICA_ID, STRING, null, "<hostname>-<pid>",
          matches(REPLICA, "must be 1 to 100 of [A-Za-z0-9._-]"), MEDIUM,
          "Scale-out: this instance's replica id, the key of its parameters on <model>.sync. Give each "
              + "instance a stable id so a restarted one replaces its own entry.")
      .define(INSTANCE_ID, STRING, null, "replica.id if given, else created once in the checkpoint folder",
          matches(REPLICA, "must be 1 to 100 of [A-Za-z0-9._-]"), MEDIUM,
          "Static group membership: this instance's group.instance.id in the model's consumer group, so a "
              + "restart (even after kill -9) takes its partitions back at once instead of waiting for the "
              + "session to expire. Must differ between the instances of a group. Not given: replica.id when "
              + "that is set, else an id created at the first start and kept in <checkpoint.dir>/<name>/instance.id.")
      .define(SYNC_EVERY_STEPS, LONG, 0L, atLeast(0), MEDIUM,
          "Scale-out: exchange parameters with the other replicas of the group (publish to the compacted "
              + "<model>.sync, fold in theirs by example-weighted averaging) every this many optimizer "
              + "steps; 0: not by steps. With both sync keys 0 the model runs as a single instance.")
      .define(SYNC_EVERY_MS, LONG, 0L, atLeast(0), MEDIUM,
          "Scale-out: exchange parameters at least this often, in ms (also while idle, so a replica "
              + "without partitions keeps the group's model); 0: not by time.")
      .define(SYNC_STALE_MS, LONG, 30_000L, atLeast(1), MEDIUM,
          "Scale-out: a replica whose newest parameters on <model>.sync are older than this drops out of "
              + "the average, in ms.")
      .define(AUDIT_PATH, STRING, "", "(off)", ConfigDef.any("a file path, or empty"), LOW,
          "Debugging/audit: append, for every record trained, its topic-partition, offset and step to "
              + "this file (with checkpoint, restore and commit markers); see formats.md, \"Training audit "
              + "log\". Empty: off, at no cost.");

  /** The full dotted name of a model key. */
  public static String modelKey(String model, String relative) {
    return MODELS_PREFIX + model + "." + relative;
  }
}
