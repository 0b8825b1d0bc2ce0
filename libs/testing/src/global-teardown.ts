import { tearDownInfrastructure } from './infrastructure/jest-hooks';

export default tearDownInfrastructure;
