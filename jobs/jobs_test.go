package jobs_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hibiken/asynq"

	"picpipe/db"
	"picpipe/internal/testenv"
	"picpipe/jobs"
)

func TestImageProcessTaskIsUniquePerImage(t *testing.T) {
	opt, err := jobs.RedisOpt(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	c := asynq.NewClient(opt)
	defer c.Close()
	task, err := jobs.NewImageProcessTask("img_1", true)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Enqueue(task)
	if err != nil {
		t.Fatal(err)
	}
	if info.Queue != jobs.QueueCritical || info.MaxRetry != 5 {
		t.Fatalf("queue %q maxretry %d; want critical, 5", info.Queue, info.MaxRetry)
	}
	again, _ := jobs.NewImageProcessTask("img_1", true)
	if _, err := c.Enqueue(again); !errors.Is(err, asynq.ErrTaskIDConflict) {
		t.Fatalf("second enqueue = %v; want ErrTaskIDConflict", err)
	}
	avif, _ := jobs.NewVariantTask("img_1", db.VariantAVIF)
	if info, err := c.Enqueue(avif); err != nil || info.Queue != jobs.QueueLow || info.Type != jobs.TypeImageAVIF {
		t.Fatalf("avif enqueue = %+v, %v; want image:avif on the low queue", info, err)
	}
	if _, err := jobs.NewVariantTask("img_1", "tiff"); err == nil {
		t.Fatal("NewVariantTask of an unknown kind succeeded")
	}
}

func TestParseImagePayloadRejectsGarbage(t *testing.T) {
	for _, payload := range []string{"", "{", `{"image_id":""}`} {
		_, err := jobs.ParseImagePayload(asynq.NewTask(jobs.TypeImageProcess, []byte(payload)))
		if !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("ParseImagePayload(%q) = %v; want SkipRetry", payload, err)
		}
	}
	task, _ := jobs.NewImageProcessTask("img_9", false)
	if p, err := jobs.ParseImagePayload(task); err != nil || p.ImageID != "img_9" {
		t.Fatalf("round trip = %+v, %v", p, err)
	}
}

func TestWaiterWakesOnPublish(t *testing.T) {
	ctx := context.Background()
	w, rc := newWaiter(t)
	ch, cancel := w.Wait("img_a")
	defer cancel()
	other, cancelOther := w.Wait("img_b")
	cancelOther()
	if err := jobs.PublishDone(ctx, rc, "img_a"); err != nil {
		t.Fatal(err)
	}
	heard(t, ch, "the waiter's wake")
	select {
	case <-other:
		t.Fatal("a cancelled waiter for another image was woken")
	default:
	}
}
