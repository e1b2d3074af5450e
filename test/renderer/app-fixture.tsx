// The App rendered against the fake host, for component tests that drive it as a user would.
import { act, fireEvent, render, screen } from '@testing-library/react';
import { App } from '../../src/renderer/src/App';
import type { FakeApi } from './fake-api';

/** Lets resolved API promises (previews, profiles, exports) reach React. */
export async function settle(): Promise<void> {
  await act(async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  });
}

/** Opens the app, starts the demo stack and runs the fake job to the end. */
export async function finishedDemo(api: FakeApi): Promise<void> {
  render(<App api={api} />);
  await settle();
  fireEvent.click(screen.getByRole('button', { name: 'Try a demo stack' }));
  await settle();
  act(() => api.finish());
  await settle();
}
