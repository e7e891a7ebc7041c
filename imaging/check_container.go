package imaging

// checkContainer follows the source's container (sniff.Walk) before
// libvips reads anything: it counts the frames from the container itself
// (GIF blocks, WebP ANMF chunks, APNG fcTL chunks, the samples of a HEIF
// sequence), where a decoder's count may be capped (libvips stops counting
// GIF frames at 4097), and refuses more than MaxFrames frames or more than
// MaxPixels pixels in them all on the canvas the container declares. A
// JPEG must be Huffman-coded and its scans must hold enough data for the
// size it declares (sniff.Structure.CheckJPEG), else a few hundred bytes
// decode to a grey 8000×8000 image.
func checkContainer(pctx *pipelineContext) error {
	s := pctx.structureOf()
	if err := s.CheckFrames(pctx.config.MaxFrames, pctx.config.MaxPixels, 0, 0); err != nil {
		return err
	}
	return s.CheckJPEG()
}
