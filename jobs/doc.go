// Package jobs is the task contract between the API, the workers and the
// scheduler: task type names, queues, one payload struct per task, and
// constructors that set each task's queue, retry and timeout options. It
// imports none of the roles.
//
//	task, err := jobs.NewImageProcessTask(img.ID, true)
//	_, err = client.Enqueue(task) // asynq.ErrTaskIDConflict: already queued
package jobs
