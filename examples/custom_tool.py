"""A worker with one custom tool, and a session that uses it.

    python examples/custom_tool.py        # needs a Temporal server: `tenure dev` in another shell

Temporal is at TEMPORAL_ADDRESS (default localhost:7233), as for `tenure`. It runs offline on the scripted provider (examples/weather_script.json); set MODEL to a
Claude model name (and ANTHROPIC_API_KEY) to let a real model call the tool. Its sessions
use a task queue of their own, served only by this worker, the one that has the tool.
Prints the agent's answer; exits 1 with the error if the session fails.
"""

import asyncio
import os
import sys
import traceback
from pathlib import Path

from pydantic import BaseModel, Field

from tenure import AgentClient, SessionConfig, ToolContext, build_worker, tool


class WeatherInput(BaseModel):
    city: str = Field(description="City name, e.g. Lisbon")


@tool(kind="read")
async def weather(input: WeatherInput, ctx: ToolContext) -> str:
    """Today's weather in a city."""
    return f"Sunny and 21°C in {input.city}."


QUEUE = "tenure-example-weather"
"""Not the shared `tenure` queue: a worker without the weather tool must not take these."""


async def main() -> int:
    agents = await AgentClient.connect(task_queue=QUEUE)
    worker = build_worker(agents.client, task_queue=QUEUE, tools=[weather])
    async with worker:
        script = Path(__file__).with_name("weather_script.json")
        config = SessionConfig(
            model=os.environ.get("MODEL", f"scripted:{script}"),
            tools=["weather"],
            mode="autonomous",
        )
        session = await agents.start(config, prompt="What's the weather in Lisbon?")
        outcome = await session.result()
    if outcome.stop_reason == "error":
        print(f"The session failed: {outcome.error}", file=sys.stderr)
        return 1
    print(outcome.text)
    return 0


if __name__ == "__main__":
    try:
        code = asyncio.run(main())
    except Exception:  # no server, a bad MODEL, ...: said, and exit 1
        traceback.print_exc()
        code = 1
    # The worker has stopped and the answer is out: end here, without the interpreter's
    # teardown, which temporalio's Rust threads can still crash just after a worker stops
    # (temporalio/sdk-python#300; `tenure` ends its commands the same way).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
