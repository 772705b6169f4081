import runpy
import time

from streamlit.web.server.starlette import starlette_websocket as sw

if not getattr(sw, "_patched", False):
    sw._patched = True
    orig = sw.StarletteSessionClient.write_forward_msg

    def logged(self, msg):
        d = ""
        if msg.WhichOneof("type") == "delta":
            d = msg.delta.WhichOneof("type")
            if d == "new_element":
                d = msg.delta.new_element.WhichOneof("type")
        with open("/tmp/cc/msgs.log", "a") as f:
            f.write(f"{time.time()} {msg.WhichOneof('type')} {d} {msg.ByteSize()}\n")
        return orig(self, msg)

    sw.StarletteSessionClient.write_forward_msg = logged

t = time.time()
try:
    runpy.run_path("/work/main/app.py", run_name="__main__")
finally:
    with open("/tmp/cc/wall.log", "a") as f:
        f.write(f"{t} {time.time()}\n")
