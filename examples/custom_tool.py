"""A worker with one custom tool, and a session that uses it.

    python examples/custom_tool.py        # needs a Temporal server: `tenure dev` in another shell

It runs offline on the scripted provider (examples/weather_script.json); set MODEL to a
Claude model name (and ANTHROPIC_API_KEY) to let a real model call the tool.
"""

import asyncio
import os
from pathlib import Path

from pydantic import BaseModel, Field

from tenure import AgentClient, SessionConfig, ToolContext, build_worker, tool


class WeatherInput(BaseModel):
    city: str = Field(description="City name, e.g. Lisbon")


@tool(kind="read")
async def weather(input: WeatherInput, ctx: ToolContext) -> str:
    """Today's weather in a city."""
    return f"Sunny and 21°C in {input.city}."


async def main() -> None:
    agents = await AgentClient.connect()
    worker = build_worker(agents.client, tools=[weather])
    async with worker:
        script = Path(__file__).with_name("weather_script.json")
        config = SessionConfig(
            model=os.environ.get("MODEL", f"scripted:{script}"),
            tools=["weather"],
            mode="autonomous",
        )
        session = await agents.start(config, prompt="What's the weather in Lisbon?")
        print((await session.result()).text)


if __name__ == "__main__":
    asyncio.run(main())
