import { describe, expect, it } from 'vitest';
import { commandForKey } from '../../src/renderer/src/keyboard';

describe('commandForKey', () => {
  it('steps slices with the arrow keys', () => {
    expect(commandForKey({ key: 'ArrowLeft' })).toEqual({ type: 'stepSlice', delta: -1 });
    expect(commandForKey({ key: 'ArrowDown' })).toEqual({ type: 'stepSlice', delta: 1 });
  });

  it('switches views with 1 to 4 in tab order', () => {
    expect(commandForKey({ key: '1' })).toEqual({ type: 'showView', view: 'slice' });
    expect(commandForKey({ key: '4' })).toEqual({ type: 'showView', view: 'depth' });
  });

  it('fits with F and shows 100% with 0', () => {
    expect(commandForKey({ key: 'f' })).toEqual({ type: 'fit' });
    expect(commandForKey({ key: '0' })).toEqual({ type: 'actualSize' });
  });

  it('leaves every key but Escape to a text field', () => {
    expect(commandForKey({ key: '1', targetTakes: 'text' })).toBeNull();
    expect(commandForKey({ key: 'f', targetTakes: 'text' })).toBeNull();
    expect(commandForKey({ key: 'Escape', targetTakes: 'text' })).toEqual({ type: 'escape' });
  });

  it('leaves arrows to a slider or tab but still takes view keys there', () => {
    expect(commandForKey({ key: 'ArrowRight', targetTakes: 'arrows' })).toBeNull();
    expect(commandForKey({ key: '2', targetTakes: 'arrows' })).toEqual({ type: 'showView', view: 'heatmap' });
  });

  it('ignores shortcuts combined with Ctrl, so browser shortcuts keep working', () => {
    expect(commandForKey({ key: '0', ctrlKey: true })).toBeNull();
  });

  it('retouching: [ and ] step the brush size, Ctrl+Z undoes, Ctrl+Shift+Z and Ctrl+Y redo, never inside a text field', () => {
    expect(commandForKey({ key: '[' })).toEqual({ type: 'brushSize', direction: -1 });
    expect(commandForKey({ key: ']' })).toEqual({ type: 'brushSize', direction: 1 });
    expect(commandForKey({ key: 'z', ctrlKey: true })).toEqual({ type: 'undo' });
    expect(commandForKey({ key: 'Z', ctrlKey: true, shiftKey: true })).toEqual({ type: 'redo' });
    expect(commandForKey({ key: 'z', metaKey: true, shiftKey: true })).toEqual({ type: 'redo' });
    expect(commandForKey({ key: 'y', ctrlKey: true })).toEqual({ type: 'redo' });
    expect(commandForKey({ key: 'z', ctrlKey: true, targetTakes: 'text' })).toBeNull();
    expect(commandForKey({ key: 'z' })).toBeNull();
  });
});
