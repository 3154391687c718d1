package load

import (
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// zstdCodec is parquet-go's ZSTD codec with its memory bounded: one shared
// encoder and decoder (both are safe for concurrent EncodeAll/DecodeAll),
// a window no larger than a page needs, and the encoder's low-memory mode.
// The default codec keeps a pool of encoders whose 8 MiB history buffers
// the GC frees and the pool re-allocates, which made them the largest
// source of allocation (about a quarter of all bytes) in the write path.
type zstdCodec struct {
	once sync.Once
	enc  *zstd.Encoder
	dec  *zstd.Decoder
	err  error
}

// zstdWindow covers the largest uncompressed page (Options.PageBytes is
// 256 KiB by default) with room to spare.
const zstdWindow = 1 << 20

func (c *zstdCodec) init() {
	c.once.Do(func() {
		c.enc, c.err = zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithEncoderConcurrency(1),
			zstd.WithWindowSize(zstdWindow),
			zstd.WithLowerEncoderMem(true),
			zstd.WithZeroFrames(true),
			zstd.WithEncoderCRC(false))
		if c.err != nil {
			return
		}
		c.dec, c.err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	})
}

func (c *zstdCodec) String() string { return "ZSTD" }

func (c *zstdCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	if c.init(); c.err != nil {
		return dst[:0], fmt.Errorf("zstd: %w", c.err)
	}
	return c.enc.EncodeAll(src, dst[:0]), nil
}

func (c *zstdCodec) Decode(dst, src []byte) ([]byte, error) {
	if c.init(); c.err != nil {
		return dst[:0], fmt.Errorf("zstd: %w", c.err)
	}
	return c.dec.DecodeAll(src, dst[:0])
}

// zstdPages is the codec every data file is written with.
var zstdPages = &zstdCodec{}
