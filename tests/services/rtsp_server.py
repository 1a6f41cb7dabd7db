#!/usr/bin/python3
"""An RTSP server for the media tests: GStreamer's RTSP server (gir1.2-gst-rtsp-server-1.0, python3-gi).

Serves one MP4 file's H.264 video (any other stream is left out) at rtsp://127.0.0.1:<port>/<name>,
over TCP or UDP as the client asks, without re-encoding (h264parse ! rtph264pay).

  rtsp_server.py --file square.mp4 [--port 0] [--name cam] [--loop] [--control-file PATH]

Prints one line "READY rtsp://127.0.0.1:<port>/<name>" on stdout once it accepts connections (port 0 picks a
free port; the line names the one bound).

--loop plays the file again and again: its access units are read once and an appsrc pushes them round after
round with times that go on (so the RTP clock never jumps back). Without it the file is served as is
(filesrc ! qtdemux) and the stream ends with it.

Freeze: SIGUSR1, or the control file appearing, stops every frame from leaving the server while its
connections stay open (a camera that hangs without disconnecting); SIGUSR2, or the control file removed, lets
frames flow again. Each change prints "FROZEN" or "THAWED". SIGTERM and SIGINT stop the server.
"""

import argparse
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def read_access_units(path):
    """The file's H.264 access units (bytes, pts, duration in ns) in byte-stream form, and their caps."""
    location = os.path.abspath(path).replace("\\", "\\\\").replace('"', '\\"')
    pipeline = Gst.parse_launch(
        f'filesrc location="{location}" ! qtdemux name=demux demux.video_0 ! h264parse config-interval=-1 '
        "! video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=sink sync=false"
    )
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    units, caps = [], None
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        buffer = sample.get_buffer()
        caps = sample.get_caps()
        units.append((buffer.extract_dup(0, buffer.get_size()), buffer.pts, buffer.duration))
    pipeline.set_state(Gst.State.NULL)
    if not units:
        raise SystemExit(f"no H.264 video in {path}")
    return caps, units


class Server:
    def __init__(self, args):
        self.args = args
        self.frozen = False
        self.pads = []  # the payloaders' source pads, one per media
        self.probes = {}  # pad -> blocking probe id, while frozen
        self.loop = GLib.MainLoop()

        self.server = GstRtspServer.RTSPServer()
        self.server.set_address("127.0.0.1")
        self.server.set_service(str(args.port))
        factory = GstRtspServer.RTSPMediaFactory()
        if args.loop:
            # The access units, read once; an appsrc plays them again and again with times that go on.
            self.caps, self.units = read_access_units(args.file)
            self.period = self.units[-1][1] + self.units[-1][2]
            factory.set_launch("( appsrc name=src format=time ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )")
        else:
            location = os.path.abspath(args.file).replace("\\", "\\\\").replace('"', '\\"')
            factory.set_launch(
                f'( filesrc location="{location}" ! qtdemux name=demux demux.video_0 ! queue ! h264parse '
                f"! rtph264pay name=pay0 pt=96 config-interval=-1 )"
            )
        factory.set_shared(True)
        factory.connect("media-configure", self.on_media_configure)
        self.server.get_mount_points().add_factory("/" + args.name, factory)

    def on_media_configure(self, factory, media):
        element = media.get_element()
        pad = element.get_by_name("pay0").get_static_pad("src")
        self.pads.append(pad)
        if self.frozen:
            self.block(pad)
        if self.args.loop:
            src = element.get_by_name("src")
            src.set_property("caps", self.caps)
            position = {"next": 0}
            src.connect("need-data", lambda appsrc, _length: self.push(appsrc, position))

    def push(self, appsrc, position):
        n = position["next"]
        data, pts, duration = self.units[n % len(self.units)]
        buffer = Gst.Buffer.new_wrapped(data)
        buffer.pts = buffer.dts = (n // len(self.units)) * self.period + pts
        buffer.duration = duration
        position["next"] = n + 1
        appsrc.emit("push-buffer", buffer)

    def block(self, pad):
        # A blocking probe holds the streaming thread: nothing more is sent, nothing spins, and the RTSP
        # connection (and RTCP) stay up. Removing the probe lets the same stream go on.
        self.probes[pad] = pad.add_probe(Gst.PadProbeType.BLOCK_DOWNSTREAM, lambda _pad, _info: Gst.PadProbeReturn.OK)

    def set_frozen(self, frozen):
        if frozen != self.frozen:
            self.frozen = frozen
            if frozen:
                for pad in self.pads:
                    self.block(pad)
            else:
                for pad, probe in self.probes.items():
                    pad.remove_probe(probe)
                self.probes.clear()
            print("FROZEN" if frozen else "THAWED", flush=True)
        return True

    def poll_control_file(self):
        self.set_frozen(os.path.exists(self.args.control_file))
        return True

    def run(self):
        if self.server.attach(None) == 0:
            print("cannot bind", file=sys.stderr, flush=True)
            return 1
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGUSR1, lambda: self.set_frozen(True))
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGUSR2, lambda: self.set_frozen(False))
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, lambda: self.loop.quit() or False)
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, lambda: self.loop.quit() or False)
        if self.args.control_file:
            GLib.timeout_add(50, self.poll_control_file)
        port = self.server.get_bound_port()
        print(f"READY rtsp://127.0.0.1:{port}/{self.args.name}", flush=True)
        self.loop.run()
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", required=True, help="an MP4 file with an H.264 video stream")
    parser.add_argument("--port", type=int, default=0, help="TCP port for RTSP (0: any free port)")
    parser.add_argument("--name", default="stream", help="the mount point: rtsp://127.0.0.1:<port>/<name>")
    parser.add_argument("--loop", action="store_true", help="play the file again and again")
    parser.add_argument("--control-file", help="freeze while this file exists")
    args = parser.parse_args()
    if not os.path.isfile(args.file):
        print(f"no such file: {args.file}", file=sys.stderr)
        return 2
    Gst.init(None)
    return Server(args).run()


if __name__ == "__main__":
    sys.exit(main())
