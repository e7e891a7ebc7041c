package jobs

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"picpipe"
	"picpipe/db"
)

// Task type names.
const (
	TypeImageProcess = "image:process"
	TypeImageAVIF    = "image:avif"
	// TypeFileClean removes the metadata of an image stored as it is.
	TypeFileClean = "file:clean"
)

// Queues, by priority. Uploads someone waits for go to QueueCritical,
// asynchronous uploads to QueueDefault, background variants to QueueLow.
// Maintenance has a queue of its own, so that its short runs never wait
// behind a backlog of variants.
const (
	QueueCritical    = "critical"
	QueueDefault     = "default"
	QueueLow         = "low"
	QueueMaintenance = "maintenance"
)

// Queues maps each queue to its weight for the worker's weighted priority.
// Workers serve QueueLow on a pool of its own (see package worker); the
// weights order the others.
var Queues = map[string]int{QueueCritical: 6, QueueDefault: 3, QueueLow: 1, QueueMaintenance: 3}

// InteractiveQueues are the queues of uploads, someone waiting for them
// or soon to: while one of them has a task waiting for a worker, workers
// start no background variant.
var InteractiveQueues = []string{QueueCritical, QueueDefault}

// PendingKey is the Redis list of the tasks of queue waiting for a
// worker, in asynq's own key layout (its internal/base.PendingKey; a test
// holds the two together): its length is how many wait.
func PendingKey(queue string) string { return queueKey(queue, "pending") }

// queueKey is the Redis key of queue's part name (pending, paused,
// scheduled, retry, …) in asynq's key layout.
func queueKey(queue, name string) string { return "asynq:{" + queue + "}:" + name }

// Retention keeps finished tasks visible in asynqmon for a while.
const Retention = time.Hour

// ImagePayload names the image a task works on; the row in the database
// holds everything else.
type ImagePayload struct {
	ImageID string `json:"image_id"`
}

// NewImageProcessTask returns the image:process task for imageID. Its task
// id is the image id, so enqueueing it twice on the same queue is
// refused with asynq.ErrTaskIDConflict (asynq scopes task ids per queue).
// urgent puts it on the critical queue, for a client that waits for the
// result; otherwise it goes to the default queue.
func NewImageProcessTask(imageID string, urgent bool) (*asynq.Task, error) {
	q := QueueDefault
	if urgent {
		q = QueueCritical
	}
	return newImageTask(TypeImageProcess, imageID,
		asynq.Queue(q), asynq.MaxRetry(5), asynq.Timeout(2*time.Minute))
}

// variantTypes maps each variant kind to the type of the task that makes
// it.
var variantTypes = map[string]string{db.VariantAVIF: TypeImageAVIF}

// VariantTaskType returns the type of the task that makes variants of
// kind, or "" for an unknown kind.
func VariantTaskType(kind string) string { return variantTypes[kind] }

// NewVariantTask returns the low-priority task that makes the variant kind
// of imageID (image:avif for the AVIF), with task id
// ImageTaskID(type, imageID).
func NewVariantTask(imageID, kind string) (*asynq.Task, error) {
	typ := VariantTaskType(kind)
	if typ == "" {
		return nil, fmt.Errorf("jobs: no task makes variant %q", kind)
	}
	return newImageTask(typ, imageID,
		asynq.Queue(QueueLow), asynq.MaxRetry(3), asynq.Timeout(10*time.Minute))
}

func newImageTask(typ, imageID string, opts ...asynq.Option) (*asynq.Task, error) {
	b, err := json.Marshal(ImagePayload{ImageID: imageID})
	if err != nil {
		return nil, fmt.Errorf("jobs: marshal %s payload: %w", typ, err)
	}
	opts = append(opts, asynq.TaskID(ImageTaskID(typ, imageID)), asynq.Retention(Retention))
	return asynq.NewTask(typ, b, opts...), nil
}

// ImageTaskID is the task id of the typ task for imageID: the image id
// itself for image:process, so operators find an upload's task in
// asynqmon by its id, and typ:imageID for the other image tasks.
func ImageTaskID(typ, imageID string) string {
	if typ == TypeImageProcess {
		return imageID
	}
	return typ + ":" + imageID
}

// ParseImagePayload decodes an image task's payload. A malformed payload
// can never succeed, so the error wraps asynq.SkipRetry.
func ParseImagePayload(t *asynq.Task) (ImagePayload, error) {
	var p ImagePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.ImageID == "" {
		return p, fmt.Errorf("jobs: bad %s payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	return p, nil
}

// TypeReconcile is the periodic task that takes up work no task will
// finish: rows and variants whose task was lost, ran out of retries, or
// died with its worker.
const TypeReconcile = "maintenance:reconcile"

// TypeResetTransforms is the monthly task that starts the new month's
// transform counts.
const TypeResetTransforms = "maintenance:reset-transforms"

// TypePurge is the periodic task that deletes expired and orphaned blobs
// and the rows of long-deleted images.
const TypePurge = "maintenance:purge"

// MaintenancePayload is the payload of a maintenance task: which job it
// runs ("reconcile", "purge", "reset-transforms"). The handlers need
// nothing from it; it is there to be read.
type MaintenancePayload struct {
	Job string `json:"job"`
}

// NewMaintenanceTask returns a run of the periodic task typ
// (TypeReconcile, TypeResetTransforms or TypePurge) on the maintenance
// queue, unique for unique: a second scheduler's enqueue of the same
// period is refused with asynq.ErrDuplicateTask. Choose unique shorter
// than the period, so that no run, whatever became of it, keeps the next
// period's from being enqueued. A failed run is not retried: the next
// period's run is its retry, and the failure stays archived for
// operators to see.
//
// Its payload is a MaintenancePayload in JSON, for operators to read in
// asynqmon. asynq's uniqueness key hashes the payload, so it is the same
// bytes at every enqueue of typ by every scheduler: it holds nothing of
// the time, the process or its configuration.
func NewMaintenanceTask(typ string, unique time.Duration) *asynq.Task {
	b, _ := json.Marshal(MaintenancePayload{Job: strings.TrimPrefix(typ, "maintenance:")}) // cannot fail
	return asynq.NewTask(typ, b, asynq.Queue(QueueMaintenance), asynq.MaxRetry(0),
		asynq.Timeout(10*time.Minute), asynq.Unique(unique), asynq.Retention(Retention))
}

// IsWork reports whether tasks of type typ do the work of a row (an
// image, a variant, a fetch), as opposed to maintenance.
func IsWork(typ string) bool {
	switch typ {
	case TypeImageProcess, TypeIngestURL, TypeFileClean:
		return true
	}
	for _, t := range variantTypes {
		if t == typ {
			return true
		}
	}
	return false
}

// TypeIngestURL is the task that fetches a remote URL a client asked for
// and hands the bytes to the same checks and pipeline as an upload.
const TypeIngestURL = "ingest:url"

// Ingest kinds: what the fetched bytes become.
const (
	IngestImage = "image"
	IngestFile  = "file"
)

// IngestPayload names the image or file row (which holds the URL) and
// carries the account's limits as they were when the client asked.
type IngestPayload struct {
	Kind            string `json:"kind"`
	ID              string `json:"id"`
	MaxBytes        int64  `json:"max_bytes"`
	MaxStorageBytes int64  `json:"max_storage_bytes"`
	Urgent          bool   `json:"urgent"`
}

// IngestFor is the payload of the ingest:url task for the row id of kind,
// with the limits of the owner's plan.
func IngestFor(kind, id string, p picpipe.Plan, urgent bool) IngestPayload {
	return IngestPayload{Kind: kind, ID: id, MaxBytes: p.MaxUploadBytes,
		MaxStorageBytes: p.MaxStorageBytes, Urgent: urgent}
}

// NewIngestURLTask returns the ingest:url task for p, on the critical
// queue when someone waits for it. Network errors are retried with asynq's
// backoff; its task id is IngestTaskID(p.ID).
func NewIngestURLTask(p IngestPayload) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("jobs: marshal %s payload: %w", TypeIngestURL, err)
	}
	q := QueueDefault
	if p.Urgent {
		q = QueueCritical
	}
	return asynq.NewTask(TypeIngestURL, b, asynq.Queue(q), asynq.MaxRetry(4), asynq.Timeout(3*time.Minute),
		asynq.TaskID(IngestTaskID(p.ID)), asynq.Retention(Retention)), nil
}

// IngestTaskID is the task id of the ingest:url task for the row id.
func IngestTaskID(id string) string { return TypeIngestURL + ":" + id }

// ParseIngestPayload decodes an ingest:url payload; a malformed one wraps
// asynq.SkipRetry.
func ParseIngestPayload(t *asynq.Task) (IngestPayload, error) {
	var p IngestPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.ID == "" || (p.Kind != IngestImage && p.Kind != IngestFile) {
		return p, fmt.Errorf("jobs: bad %s payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	return p, nil
}

// FilePayload names the file a task works on.
type FilePayload struct {
	FileID string `json:"file_id"`
}

// NewFileCleanTask returns the file:clean task of fileID, on the
// critical queue when someone waits for it. Its task id is
// FileCleanTaskID(fileID).
func NewFileCleanTask(fileID string, urgent bool) (*asynq.Task, error) {
	b, err := json.Marshal(FilePayload{FileID: fileID})
	if err != nil {
		return nil, fmt.Errorf("jobs: marshal %s payload: %w", TypeFileClean, err)
	}
	q := QueueDefault
	if urgent {
		q = QueueCritical
	}
	return asynq.NewTask(TypeFileClean, b, asynq.Queue(q), asynq.MaxRetry(5), asynq.Timeout(5*time.Minute),
		asynq.TaskID(FileCleanTaskID(fileID)), asynq.Retention(Retention)), nil
}

// FileCleanTaskID is the task id of the file:clean task of fileID.
func FileCleanTaskID(fileID string) string { return TypeFileClean + ":" + fileID }

// ParseFilePayload decodes a file task's payload; a malformed one wraps
// asynq.SkipRetry.
func ParseFilePayload(t *asynq.Task) (FilePayload, error) {
	var p FilePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.FileID == "" {
		return p, fmt.Errorf("jobs: bad %s payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	return p, nil
}
